// Heartbeats (ADR 0036): an answer records the host's capacity and marks it online; a host silent
// past the cutoff becomes unreachable and its VMs unknown (never stopped); its next answer brings
// it back and says so, so state sync can reconcile its VMs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { markSilentHosts, recordHeartbeat, type HostInfoReport } from "./host-heartbeat.ts";

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
});
after(() => t.drop());

const info = {
  cores: 6,
  memTotalBytes: 8 * 1024 ** 3,
  memFreeBytes: 5 * 1024 ** 3,
  diskFreeBytes: 40 * 1024 ** 3,
  kvm: true,
  accel: "kvm",
  cpu: {
    accel: "kvm",
    summary: "KVM",
    baseline: "x86-64-v2",
    probeMs: 1,
    models: [
      { id: "host", usable: true, qemu: "host", detail: "" },
      { id: "pentium", usable: false, qemu: "pentium", detail: "no" },
    ],
  },
  qemuVersion: "8.2",
  vmCount: 1,
  runningVmCount: 1,
  qemuUser: { name: "q", uid: 1, dedicated: true, summary: "" },
} as unknown as HostInfoReport;

test("a host that misses its heartbeats is unreachable with its VMs unknown, and comes back", async () => {
  const host = await t.db.host.create({ data: { name: "beat", url: "http://127.0.0.1:9", tokenHash: "-" } });
  const vm = await t.db.vm.create({ data: { name: "beating", hostId: host.id, state: "running" } });
  const stopped = await t.db.vm.create({ data: { name: "resting", hostId: host.id, state: "stopped" } });

  assert.equal(await recordHeartbeat(t.db, host.id, info), false, "a first answer is not a recovery");
  let row = await t.db.host.findUniqueOrThrow({ where: { id: host.id } });
  assert.equal(row.state, "online");
  assert.equal(row.cores, 6);
  assert.equal(row.memoryFreeBytes, 5n * 1024n ** 3n);
  assert.equal(row.diskFreeBytes, 40n * 1024n ** 3n);
  assert.deepEqual(row.cpuModels, ["host"], "only the models that run");
  assert.equal(row.cpuBaseline, "x86-64-v2");

  assert.deepEqual(await markSilentHosts(t.db, new Date(Date.now() - 60_000)), [], "answered within the window: still online");
  assert.deepEqual(await markSilentHosts(t.db, new Date(Date.now() + 1)), [host.id]);
  row = await t.db.host.findUniqueOrThrow({ where: { id: host.id } });
  assert.equal(row.state, "unreachable");
  const states = async () =>
    (await t.db.vm.findMany({ where: { hostId: host.id }, orderBy: { name: "asc" } })).map((v) => [v.name, v.state]);
  assert.deepEqual(await states(), [
    ["beating", "unknown"],
    ["resting", "unknown"],
  ]);
  assert.equal((await t.db.vm.findUniqueOrThrow({ where: { id: vm.id } })).stateReason, "host-unreachable");
  assert.deepEqual(await markSilentHosts(t.db, new Date(Date.now() + 1)), [], "marked once, not every round");

  assert.equal(await recordHeartbeat(t.db, host.id, info), true, "the answer after an outage is a recovery");
  assert.equal((await t.db.host.findUniqueOrThrow({ where: { id: host.id } })).state, "online");
  // The VMs stay unknown until state sync asks the host (it does on recovery): never guessed as stopped.
  assert.equal((await t.db.vm.findUniqueOrThrow({ where: { id: stopped.id } })).state, "unknown");
});

test("a host that never answered becomes unreachable once it is older than the window", async () => {
  const host = await t.db.host.create({ data: { name: "silent", url: "http://127.0.0.1:8", tokenHash: "-" } });
  assert.ok(!(await markSilentHosts(t.db, new Date(Date.now() - 60_000))).includes(host.id), "new: given time to answer");
  assert.ok((await markSilentHosts(t.db, new Date(Date.now() + 1))).includes(host.id));
});
