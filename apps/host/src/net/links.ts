/** Bridges and taps through `ip` (argv arrays, in the service's namespace). Idempotent where it can be. */
import { z } from "zod";
import { VXLAN_PORT, type Overlay } from "@guesthouse/shared/network";
import type { NetRunner } from "./netns.ts";

const LinkSchema = z.array(
  z.object({
    ifname: z.string(),
    master: z.string().optional(),
    operstate: z.string().optional(),
    linkinfo: z
      .object({
        info_kind: z.string().optional(),
        // A VXLAN's own facts (`local6` when its local address is IPv6).
        // Other kinds' data is never read: a field of another shape there must not fail the parse.
        info_data: z
          .object({
            id: z.number().optional().catch(undefined),
            local: z.string().optional().catch(undefined),
            local6: z.string().optional().catch(undefined),
          })
          .optional()
          .catch(undefined),
      })
      .optional(),
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

/**
 * The network's VXLAN on its bridge, with exactly `overlay.peers` as flood destinations. One whose
 * VNI or local address changed is made again. MTU 1500 as the guests': VXLAN leaves DF unset, so
 * an outer packet bigger than the link between hosts is fragmented rather than dropped.
 */
export async function ensureVxlan(r: NetRunner, name: string, overlay: Overlay, bridge: string): Promise<void> {
  let link = await showLink(r, name);
  const data = link?.linkinfo?.info_data;
  if (link && (link.linkinfo?.info_kind !== "vxlan" || data?.id !== overlay.vni || (data.local ?? data.local6) !== overlay.local)) {
    await deleteLink(r, name);
    link = undefined;
  }
  const vxlan = ["type", "vxlan", "id", String(overlay.vni), "local", overlay.local, "dstport", String(VXLAN_PORT)];
  if (!link) await r.run(["ip", "link", "add", name, "mtu", "1500", ...vxlan]);
  await r.run(["ip", "link", "set", "dev", name, "master", bridge]);
  await r.run(["ip", "link", "set", "dev", name, "up"]);
  const FLOOD = "00:00:00:00:00:00";
  const FdbSchema = z.array(z.object({ mac: z.string(), dst: z.string().optional() }));
  const have = FdbSchema.parse(JSON.parse(await r.run(["bridge", "-j", "fdb", "show", "dev", name])))
    .filter((e) => e.mac === FLOOD && e.dst !== undefined)
    .map((e) => e.dst as string);
  for (const dst of have) if (!overlay.peers.includes(dst)) await r.run(["bridge", "fdb", "del", FLOOD, "dev", name, "dst", dst]);
  for (const dst of overlay.peers) if (!have.includes(dst)) await r.run(["bridge", "fdb", "append", FLOOD, "dev", name, "dst", dst]);
}
