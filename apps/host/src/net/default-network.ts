/**
 * Whether this host may have a default NAT network, and on which subnet (docs/decisions/0037). The
 * console asks once per host and makes it as it makes any network; the host only answers.
 */
import { readFile } from "node:fs/promises";
import { cidrsOverlap, parseCidr, servedSubnet } from "@guesthouse/shared/network";
import type { NetworkManager } from "./network-manager.ts";

/** Tried in order; the first that neither a network of ours nor an address of the host's overlaps wins. */
export const DEFAULT_SUBNETS = ["10.77.0.0/24", "10.78.0.0/24", "172.30.77.0/24", "192.168.177.0/24"] as const;
const CAP_NET_ADMIN = 12;

export type DefaultNetworkPlan = { allowed: true; subnet: string } | { allowed: false; reason: string };

/** The effective capability set of this process, from /proc (no native addon). */
export async function hasNetAdmin(statusText?: string): Promise<boolean> {
  const text = statusText ?? (await readFile("/proc/self/status", "utf8").catch(() => ""));
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(text)?.[1];
  return hex !== undefined && (BigInt(`0x${hex}`) & (1n << BigInt(CAP_NET_ADMIN))) !== 0n;
}

export async function defaultNetworkPlan(
  m: NetworkManager,
  setting: "auto" | "on" | "off",
  netAdmin: boolean,
): Promise<DefaultNetworkPlan> {
  if (setting === "off") return { allowed: false, reason: "GUESTHOUSE_DEFAULT_NETWORK=off" };
  if (!netAdmin) return { allowed: false, reason: "the host service lacks CAP_NET_ADMIN, so only user-mode NICs work here" };
  if (setting === "auto" && m.runner.netns === undefined) {
    return {
      allowed: false,
      reason:
        "the host service runs in the machine's own network namespace: set GUESTHOUSE_DEFAULT_NETWORK=on to make a default NAT network there",
    };
  }
  const ours = (await m.store.list()).flatMap((s) => {
    const subnet = servedSubnet(s.network);
    return subnet ? [parseCidr(subnet)!] : [];
  });
  const refusals: string[] = [];
  for (const subnet of DEFAULT_SUBNETS) {
    const cidr = parseCidr(subnet)!;
    if (ours.some((o) => cidrsOverlap(o, cidr))) continue;
    const clash = await m.checkSubnetFree(subnet, "").then(
      () => undefined,
      (err: Error) => err.message,
    );
    if (clash === undefined) return { allowed: true, subnet };
    refusals.push(clash);
  }
  return { allowed: false, reason: `no free subnet for it: ${refusals.join("; ") || "every candidate is used by a network of ours"}` };
}
