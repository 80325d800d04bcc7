import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { defaultNetworkPlan, hasNetAdmin } from "./default-network.ts";
import { NetworkManager } from "./network-manager.ts";

test("CAP_NET_ADMIN is read from the effective set in /proc/self/status", async () => {
  assert.equal(await hasNetAdmin("Name:\tnode\nCapEff:\t000001ffffffffff\n"), true);
  assert.equal(await hasNetAdmin("CapEff:\t0000000000001000\n"), true, "bit 12 alone");
  assert.equal(await hasNetAdmin("CapEff:\t0000000000000000\n"), false);
  assert.equal(await hasNetAdmin("no such line\n"), false);
});

test("auto in the machine's own namespace is refused before any command runs, naming the setting that allows it", async () => {
  // No namespace: a plan that ran `ip` here would touch the machine's; this one must answer first.
  const m = new NetworkManager("/nonexistent/networks", undefined, pino({ level: "silent" }));
  const plan = await defaultNetworkPlan(m, "auto", true);
  assert.equal(plan.allowed, false);
  assert.match(plan.allowed ? "" : plan.reason, /machine's own network namespace: set GUESTHOUSE_DEFAULT_NETWORK=on/);
});
