// The Hosts page's procedures: the list with capacity and counts, maintenance on and off, and
// removal, which is refused with what the host still holds.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { apiWorld, type ApiWorld } from "../api-world.test-support.ts";

let w: ApiWorld;
let admin: Awaited<ReturnType<ApiWorld["makeUser"]>>;
before(async () => {
  w = await apiWorld();
  admin = await w.makeUser("admin", [{ role: "Administrator" }]);
});
after(() => w.t.drop());

test("the list shows each host's capacity, networks and VMs by state", async () => {
  await w.t.db.host.update({
    where: { id: w.hostId },
    data: { state: "online", cores: 4, memoryBytes: 8n << 30n, memoryFreeBytes: 3n << 30n },
  });
  await w.t.db.vm.create({ data: { name: "listed-a", hostId: w.hostId, state: "running" } });
  await w.t.db.vm.create({ data: { name: "listed-b", hostId: w.hostId, state: "stopped" } });
  const [local] = await admin.api.host.list();
  assert.equal(local?.name, "local");
  assert.equal(local?.state, "online");
  assert.equal(local?.memoryFreeBytes, 3n << 30n);
  assert.equal(local?.counts.vms, 2);
  assert.deepEqual(local?.counts.byState, { running: 1, stopped: 1 });
  assert.ok(!("tokenHash" in (local ?? {})), "no credential hash leaves the API");
});

test("maintenance is set and cleared, and audited; with no other host, its evacuation names each guest as staying", async () => {
  await admin.api.host.setMaintenance({ hostId: w.hostId, on: true });
  assert.equal((await w.t.db.host.findUniqueOrThrow({ where: { id: w.hostId } })).maintenance, true);
  // Leaving maintenance waits for the evacuation it started: here it ends at once, moving nothing.
  let evacuation = await admin.api.host.evacuation({ hostId: w.hostId });
  for (const deadline = Date.now() + 10_000; evacuation?.state === "running" && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 50)); // the next look at the task
    evacuation = await admin.api.host.evacuation({ hostId: w.hostId });
  }
  assert.notEqual(evacuation?.state, "running", "the evacuation ended");
  assert.deepEqual(evacuation?.guests.map((g) => [g.vmName, g.state]).sort(), [
    ["listed-a", "refused"],
    ["listed-b", "refused"],
  ]);
  assert.ok(
    evacuation?.guests.every((g) => /no other host/.test(g.reason)),
    JSON.stringify(evacuation?.guests),
  );
  await admin.api.host.setMaintenance({ hostId: w.hostId, on: false });
  assert.equal((await w.t.db.host.findUniqueOrThrow({ where: { id: w.hostId } })).maintenance, false);
  assert.equal(await w.t.db.auditEvent.count({ where: { action: "host.maintenance" } }), 2);
});

test("a host that holds VMs is not removed, and the refusal says what it holds", async () => {
  const error = await admin.api.host.remove({ hostId: w.hostId }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TRPCError);
  assert.equal(error.code, "CONFLICT");
  assert.match(error.message, /Host 'local' still holds 2 VMs: move or delete them first/);
  assert.ok(await w.t.db.host.findUnique({ where: { id: w.hostId } }), "still there");
  assert.equal(await w.t.db.auditEvent.count({ where: { action: "host.remove", outcome: "failure" } }), 1);
});

test("an empty host is removed with its credential", async () => {
  const spare = await w.t.db.host.create({ data: { name: "spare", url: "http://127.0.0.1:9/spare", tokenHash: "abc" } });
  await admin.api.host.remove({ hostId: spare.id });
  assert.equal(await w.t.db.host.findUnique({ where: { id: spare.id } }), null);
  assert.equal(await w.t.db.auditEvent.count({ where: { action: "host.remove", outcome: "success" } }), 1);
});
