import assert from "node:assert/strict";
import { test } from "node:test";
import { parseLeases } from "./leases.ts";
import { bridgeNameFor, tapNameFor } from "./names.ts";
import { buildRuleset, replaceTableScript } from "./nft-ruleset.ts";

test("nat masquerades its subnet outward and lets in only what a forward rewrote; isolated forwards nothing", () => {
  const text = buildRuleset(
    [
      { kind: "nat", bridge: "ghbrnat", subnet: "10.200.0.0/24" },
      { kind: "isolated", bridge: "ghbriso", subnet: "10.201.0.0/24" },
    ],
    [{ protocol: "tcp", hostPort: 8080, guestIp: "10.200.0.5", guestPort: 80 }],
  );
  assert.match(text, /^table inet guesthouse \{/);
  assert.match(text, /ip saddr 10\.200\.0\.0\/24 ip daddr != 10\.200\.0\.0\/24 masquerade/);
  assert.match(text, /oifname "ghbrnat" ct status dnat accept\n\s+oifname "ghbrnat" drop/);
  assert.match(text, /iifname "ghbriso" drop\n\s+oifname "ghbriso" drop/);
  assert.match(text, /iifname "ghbriso" udp dport \{ 53, 67 \} accept/);
  assert.doesNotMatch(text, /10\.201\.0\.0\/24 .*masquerade/, "no uplink for the isolated network");
  assert.equal(text.match(/tcp dport 8080 dnat ip to 10\.200\.0\.5:80/g)?.length, 2, "prerouting and output (the host itself)");
});

test("applying replaces the whole table in one script, and an empty host's script only removes it", () => {
  assert.equal(replaceTableScript(undefined), "table inet guesthouse\ndelete table inet guesthouse\n");
  assert.ok(replaceTableScript("table inet guesthouse {}\n").endsWith("delete table inet guesthouse\ntable inet guesthouse {}\n"));
});

test("interface names carry our prefix and fit Linux's 15 bytes", () => {
  for (const name of [bridgeNameFor("a-network-with-a-long-id"), tapNameFor("vm-with-a-rather-long-id-0123456789", 7)]) {
    assert.ok(name.startsWith("gh") && name.length <= 15, name);
  }
  assert.notEqual(tapNameFor("a", 0), tapNameFor("a", 1));
});

test("dnsmasq's lease file: one lease per line, MACs lower-cased, '*' is no hostname", () => {
  const leases = parseLeases(
    "1764600000 5E:00:11:22:33:44 10.200.0.7 tiny-a 01:5e:00:11:22:33:44\n1764600001 5e:00:00:00:00:01 10.200.0.8 * *\n\n",
  );
  assert.deepEqual(leases, [
    { mac: "5e:00:11:22:33:44", ip: "10.200.0.7", hostname: "tiny-a", expiresAt: 1764600000 },
    { mac: "5e:00:00:00:00:01", ip: "10.200.0.8", hostname: "", expiresAt: 1764600001 },
  ]);
});
