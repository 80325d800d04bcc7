/**
 * The one nftables table Guesthouse owns (`inet guesthouse`), written whole from the networks and
 * port forwards the service holds: applying it replaces the old table in one transaction, so it is
 * idempotent and never touches anybody else's rules (docs/decisions/0022).
 */
import { subnetPlan } from "@guesthouse/shared/network";

export const NFT_TABLE = "guesthouse";

export interface RulesetNetwork {
  kind: "nat" | "isolated";
  bridge: string;
  /** Absent: an isolated network without DHCP, where the host has no address. */
  subnet?: string;
}

export interface RulesetForward {
  protocol: "tcp" | "udp";
  hostPort: number;
  guestIp: string;
  guestPort: number;
}

const q = (ifname: string) => `"${ifname}"`;

export function buildRuleset(networks: readonly RulesetNetwork[], forwards: readonly RulesetForward[]): string {
  const forward: string[] = [];
  const input: string[] = [];
  const dnat: string[] = [];
  const postrouting: string[] = [];
  for (const n of networks) {
    if (n.kind === "isolated") {
      // Its guests see each other (the bridge switches that) and nothing else.
      forward.push(`iifname ${q(n.bridge)} drop`, `oifname ${q(n.bridge)} drop`);
      if (n.subnet) {
        const plan = subnetPlan(n.subnet);
        // The host is there only to serve DHCP and DNS, and only to this network.
        input.push(
          `iifname ${q(n.bridge)} udp dport { 53, 67 } accept`,
          `iifname ${q(n.bridge)} tcp dport 53 accept`,
          `iifname ${q(n.bridge)} drop`,
          `ip daddr ${plan.gateway} drop`,
        );
      }
    } else {
      const subnet = n.subnet as string;
      // Out, and replies back; in only what a port forward rewrote.
      forward.push(
        `iifname ${q(n.bridge)} ip saddr ${subnet} accept`,
        `oifname ${q(n.bridge)} ct state established,related accept`,
        `oifname ${q(n.bridge)} ct status dnat accept`,
        `oifname ${q(n.bridge)} drop`,
        `iifname ${q(n.bridge)} drop`,
      );
      postrouting.push(`ip saddr ${subnet} ip daddr != ${subnet} masquerade`);
    }
  }
  for (const f of forwards) {
    dnat.push(`fib daddr type local ${f.protocol} dport ${f.hostPort} dnat ip to ${f.guestIp}:${f.guestPort}`);
  }
  const chain = (name: string, hook: string, rules: string[]) =>
    `  chain ${name} {\n    ${hook}\n${rules.map((r) => `    ${r}\n`).join("")}  }\n`;
  return (
    `table inet ${NFT_TABLE} {\n` +
    chain("forward", "type filter hook forward priority filter; policy accept;", forward) +
    chain("input", "type filter hook input priority filter; policy accept;", input) +
    chain("prerouting", "type nat hook prerouting priority dstnat; policy accept;", dnat) +
    chain("output", "type nat hook output priority -100; policy accept;", dnat) +
    chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;", postrouting) +
    `}\n`
  );
}

/** Text for `nft -f -`: make-then-delete empties any old table, then the new one is added, atomically. */
export function replaceTableScript(ruleset: string | undefined): string {
  const reset = `table inet ${NFT_TABLE}\ndelete table inet ${NFT_TABLE}\n`;
  return ruleset === undefined ? reset : reset + ruleset;
}
