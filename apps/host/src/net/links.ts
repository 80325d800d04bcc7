/** Bridges and taps through `ip` (argv arrays, in the service's namespace). Idempotent where it can be. */
import { z } from "zod";
import type { NetRunner } from "./netns.ts";

const LinkSchema = z.array(
  z.object({
    ifname: z.string(),
    master: z.string().optional(),
    operstate: z.string().optional(),
    linkinfo: z.object({ info_kind: z.string().optional() }).optional(),
    addr_info: z.array(z.object({ family: z.string(), local: z.string(), prefixlen: z.number() })).optional(),
  }),
);
export type LinkInfo = z.infer<typeof LinkSchema>[number];

export async function showLink(r: NetRunner, name: string): Promise<LinkInfo | undefined> {
  const out = await r.run(["ip", "-d", "-j", "addr", "show", "dev", name]).catch(() => undefined);
  if (out === undefined) return undefined;
  return LinkSchema.parse(JSON.parse(out))[0];
}

export async function ensureBridge(r: NetRunner, name: string): Promise<void> {
  const link = await showLink(r, name);
  if (!link) await r.run(["ip", "link", "add", "name", name, "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
  else if (link.linkinfo?.info_kind !== "bridge") throw new Error(`interface '${name}' exists and is not a bridge`);
  await r.run(["ip", "link", "set", "dev", name, "up"]);
}

/** Exactly `cidr` on the interface: other IPv4 addresses Guesthouse put there are removed. */
export async function ensureAddress(r: NetRunner, name: string, address: string, prefix: number): Promise<void> {
  const link = await showLink(r, name);
  const have = (link?.addr_info ?? []).filter((a) => a.family === "inet");
  for (const a of have) {
    if (a.local !== address || a.prefixlen !== prefix) await r.run(["ip", "addr", "del", `${a.local}/${a.prefixlen}`, "dev", name]);
  }
  if (!have.some((a) => a.local === address && a.prefixlen === prefix)) {
    await r.run(["ip", "addr", "add", `${address}/${prefix}`, "dev", name]);
  }
}

export async function deleteLink(r: NetRunner, name: string): Promise<void> {
  if (await showLink(r, name)) await r.run(["ip", "link", "del", "dev", name]);
}

/** A tap for QEMU to open by name, on `bridge`, up. An existing one (a running guest's) is kept. */
export async function ensureTap(r: NetRunner, name: string, bridge: string, owner?: { uid: number; gid: number }): Promise<void> {
  const link = await showLink(r, name);
  const ownedBy = owner ? ["user", String(owner.uid), "group", String(owner.gid)] : [];
  if (!link) await r.run(["ip", "tuntap", "add", "dev", name, "mode", "tap", ...ownedBy]);
  if (link?.master !== bridge) await r.run(["ip", "link", "set", "dev", name, "master", bridge]);
  await r.run(["ip", "link", "set", "dev", name, "up"]);
}

export async function listLinks(r: NetRunner): Promise<LinkInfo[]> {
  return LinkSchema.parse(JSON.parse(await r.run(["ip", "-d", "-j", "link", "show"])));
}

/**
 * Whether bridges here can filter VLANs: tried on a scratch bridge of our own, since a bridge reports
 * `vlan_filtering 0` whether or not the kernel could turn it on (docs/machine-facts.md).
 */
export async function probeVlanFiltering(r: NetRunner): Promise<boolean> {
  const scratch = "ghvlanprobe";
  await deleteLink(r, scratch);
  await r.run(["ip", "link", "add", "name", scratch, "type", "bridge"]);
  try {
    return await r.ok(["ip", "link", "set", "dev", scratch, "type", "bridge", "vlan_filtering", "1"]);
  } finally {
    await deleteLink(r, scratch);
  }
}
