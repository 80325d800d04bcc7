// Spec changes (settings, undo disks, NICs) and undo choices as tasks, against a dead console: the
// real host service (the one `npm test` starts) ends with the spec the DB holds, and the task says
// whether the change was finished or undone. The undo choice is settled from the host's own disks.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createHostClient, type HostClient } from "@guesthouse/host-client";
import { reconcileTasks } from "./task-reconcile.ts";
import { specForVm } from "./vm-spec.ts";

const MiB = 1024 * 1024;
let t: TestDatabase;
let host: HostClient;
let hostId: string;
const made: string[] = [];

before(async () => {
  assert.ok(process.env.HOST_URL && process.env.HOST_TOKEN, "HOST_URL and HOST_TOKEN name the host service npm test started");
  t = await createTestDatabase();
  host = createHostClient({ url: process.env.HOST_URL, token: process.env.HOST_TOKEN });
  hostId = (await t.db.host.create({ data: { name: "local", url: process.env.HOST_URL, tokenHash: "-" } })).id;
});
after(async () => {
  for (const id of made) await host.vm.delete.mutate({ id, deleteDisks: true }).catch(() => undefined);
  await t.drop();
});

/** A stopped VM of 64 MiB with one disk (an undo disk when asked), on the host and in the DB. */
async function vm(undo = false): Promise<{ id: string; name: string; disk: string }> {
  const id = `vspec${randomBytes(5).toString("hex")}`;
  const name = `spec-${id.slice(-6)}`;
  const disk = `${id}-d0`;
  await host.disk.create.mutate({ id: disk, sizeBytes: 16 * MiB });
  made.push(id);
  await t.db.vm.create({
    data: {
      id,
      name,
      hostId,
      memoryMiB: 64,
      disks: { create: { id: disk, slot: 0, path: `disk:${disk}`, sizeBytes: 0n, undoEnabled: undo } },
    },
  });
  await host.vm.define.mutate({ id, spec: await specForVm(t.db, id) });
  return { id, name, disk };
}

/** The task a console that died half-way through left behind. */
const orphan = (kind: string, v: { id: string; name: string }, input: object = {}) =>
  t.db.task.create({
    data: { kind, vmId: v.id, vmName: v.name, hostId, actorName: "a@test.local", state: "running", input, owner: "a-console-that-died" },
  });
const closed = (id: string) => t.db.task.findUniqueOrThrow({ where: { id }, select: { state: true, error: true } });
const hostMemory = async (id: string) => (await host.vm.get.query({ id })).spec.memoryMiB;

describe("spec changes and undo choices left by a dead console", () => {
  test("a settings change the DB had committed reaches the host: finished", async () => {
    const v = await vm();
    const task = await orphan("vm.update", v);
    // The console died after its transaction committed (the audit row names the task), before the host heard.
    await t.db.vm.update({ where: { id: v.id }, data: { memoryMiB: 96 } });
    await t.db.auditEvent.create({ data: { action: "vm.update", vmId: v.id, vmName: v.name, outcome: "success", taskId: task.id } });
    assert.equal(await hostMemory(v.id), 64);
    await reconcileTasks(t.db, host, hostId);
    assert.equal((await closed(task.id)).state, "succeeded");
    assert.equal(await hostMemory(v.id), 96, "the host has what the console recorded");
  });

  test("a settings change the host took but the DB never committed is undone on the host", async () => {
    const v = await vm();
    const task = await orphan("vm.update", v);
    // The console died between the host call and its commit: the host has the new spec, the DB the old one.
    await host.vm.update.mutate({ id: v.id, spec: { ...(await specForVm(t.db, v.id)), memoryMiB: 128 } });
    await reconcileTasks(t.db, host, hostId);
    const done = await closed(task.id);
    assert.equal(done.state, "failed");
    assert.match(done.error, /the change had not been recorded, so the host has the VM's previous spec again/);
    assert.equal(await hostMemory(v.id), 64);
  });

  test("an undo choice cut short: done when the host's undo disk holds nothing more, else it says what still waits", async () => {
    const v = await vm(true);
    // A start and a power-off leave the undo overlay in place: changes that wait for a choice.
    await host.vm.start.mutate({ id: v.id });
    await host.vm.powerOff.mutate({ id: v.id });
    assert.equal((await host.disk.info.query({ id: v.disk })).undoPending, true);
    const waiting = await orphan("vm.undo", v, { action: "discard", diskIds: [v.disk] });
    await reconcileTasks(t.db, host, hostId);
    assert.match((await closed(waiting.id)).error, /1 of 1 undo disks still hold changes that wait for a choice/);
    await host.disk.undo.mutate({ id: v.id, disk: v.disk, action: "discard" });
    const applied = await orphan("vm.undo", v, { action: "discard", diskIds: [v.disk] });
    await reconcileTasks(t.db, host, hostId);
    assert.equal((await closed(applied.id)).state, "succeeded");
  });
});
