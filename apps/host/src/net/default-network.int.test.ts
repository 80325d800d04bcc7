/**
 * Whether a host may have a default NAT network, and on which subnet, asked of a real host service
 * whose networks live in a namespace this file makes and always deletes (ADR 0037).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { destroyHost, openHost, tempDataDir, type TestHost } from "../harness.test-support.ts";
import { DEFAULT_SUBNETS, defaultNetworkPlan } from "./default-network.ts";
import { deleteAllTestNetns, inNetns, makeNetns } from "./test-netns.test-support.ts";

let host: TestHost | undefined;
let ns: string;

before(async () => {
  ns = makeNetns("defnet");
  host = await openHost(await tempDataDir(), { netns: ns });
});
after(async () => {
  try {
    if (host) await destroyHost(host);
  } finally {
    deleteAllTestNetns();
  }
});

test("inside its namespace the host offers the first free subnet, skipping its own addresses and networks", async () => {
  const h = host as TestHost;
  // The procedure as the console calls it: auto (unset), a namespace, and root's CAP_NET_ADMIN.
  assert.deepEqual(await h.api.network.defaultPlan(), { allowed: true, subnet: DEFAULT_SUBNETS[0] });
  assert.equal(inNetns(ns, ["ip", "-br", "link"]).includes("ghbr"), false, "asking made nothing");

  inNetns(ns, ["ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan1"]);
  inNetns(ns, ["ip", "addr", "add", "10.77.0.9/24", "dev", "lan0"]);
  assert.deepEqual(await h.api.network.defaultPlan(), { allowed: true, subnet: DEFAULT_SUBNETS[1] }, "10.77 is the host's own");

  await h.api.network.ensure({ network: { id: "taken", kind: "isolated", bridge: "ghbrtaken", subnet: "10.78.0.0/24" } });
  assert.deepEqual(await h.api.network.defaultPlan(), { allowed: true, subnet: DEFAULT_SUBNETS[2] }, "10.78 is a network of ours");
});

test("off, no CAP_NET_ADMIN, or the machine's own namespace without 'on': refused, with the reason", async () => {
  const m = (host as TestHost).service.networks;
  assert.deepEqual(await defaultNetworkPlan(m, "off", true), { allowed: false, reason: "GUESTHOUSE_DEFAULT_NETWORK=off" });
  const noCap = await defaultNetworkPlan(m, "on", false);
  assert.equal(noCap.allowed, false);
  assert.match(noCap.allowed ? "" : noCap.reason, /lacks CAP_NET_ADMIN, so only user-mode NICs work here/);
});
