// The journal against a dead console: tasks left `running` by another console are finished or
// undone from what the real host service (the one `npm test` starts) holds, and say which.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createHostClient, type HostClient } from "@guesthouse/host-client";
import { reconcileTasks } from "./task-reconcile.ts";
import { CONSOLE_INSTANCE, runTask } from "./tasks.ts";

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

/** A stopped VM with one disk, on the host and in the DB, as the console makes them. */
async function vmWithDisk(): Promise<{ id: string; name: string }> {
  const id = `vrec${randomBytes(5).toString("hex")}`;
  const name = `rec-${id.slice(-6)}`;
  await host.disk.create.mutate({ id: `${id}-d0`, sizeBytes: 16 * MiB });
  await host.vm.define.mutate({ id, spec: { name, cdrom: null, disks: [{ disk: `${id}-d0` }] } });
  made.push(id);
  await t.db.vm.create({
    data: { id, name, hostId, disks: { create: { id: `${id}-d0`, slot: 0, path: `disk:${id}-d0`, sizeBytes: 0n } } },
  });
  return { id, name };
}

/** A task as a console that died mid-way leaves it. */
function orphan(kind: string, vm: { id: string; name: string } | null, input: object) {
  return t.db.task.create({
    data: {
      kind,
      vmId: vm?.id,
      vmName: vm?.name ?? "",
      hostId,
      actorName: "a@test.local",
      state: "running",
      input,
      owner: "a-console-that-died",
    },
  });
}
const closed = (id: string) => t.db.task.findUniqueOrThrow({ where: { id }, select: { state: true, error: true, log: true } });

describe("tasks left by a dead console", () => {
  test("a snapshot the host took is put into the tree where it was meant to go, and the task succeeds", async () => {
    const vm = await vmWithDisk();
    const parent = await t.db.snapshot.create({ data: { vmId: vm.id, name: "before", tag: "gh-parent", withRam: false, current: true } });
    await host.snapshot.take.mutate({ id: vm.id, name: "gh-recovered1", withRam: false });
    const task = await orphan("snapshot.take", vm, {
      tag: "gh-recovered1",
      name: "nightly",
      description: "",
      withRam: false,
      parentId: parent.id,
    });
    assert.equal(await reconcileTasks(t.db, host, hostId), 1);
    assert.equal((await closed(task.id)).state, "succeeded");
    const row = await t.db.snapshot.findFirstOrThrow({ where: { vmId: vm.id, tag: "gh-recovered1" } });
    assert.deepEqual([row.name, row.parentId, row.current], ["nightly", parent.id, true], "its own name and place, not 'recovered'");
  });

  test("a snapshot the host never took fails in words, and no row appears", async () => {
    const vm = await vmWithDisk();
    const task = await orphan("snapshot.take", vm, { tag: "gh-never", name: "never", description: "", withRam: false, parentId: null });
    await reconcileTasks(t.db, host, hostId);
    const done = await closed(task.id);
    assert.equal(done.state, "failed");
    assert.match(
      done.error,
      /^Interrupted \(the console or the host stopped half-way\): the host had not taken the snapshot; nothing changed$/,
    );
    assert.equal(await t.db.snapshot.count({ where: { vmId: vm.id } }), 0);
  });

  test("a VM recorded but never defined on its host is defined from its row; one never recorded is removed from the host", async () => {
    const id = `vrec${randomBytes(5).toString("hex")}`;
    await t.db.vm.create({ data: { id, name: `half-${id.slice(-6)}`, hostId } });
    made.push(id);
    const kept = await orphan("vm.create", { id, name: "half" }, { vmId: id, diskId: null });
    const gone = `vrec${randomBytes(5).toString("hex")}`;
    await host.disk.create.mutate({ id: `${gone}-d0`, sizeBytes: MiB });
    await host.vm.define.mutate({ id: gone, spec: { name: "gone", cdrom: null, disks: [{ disk: `${gone}-d0` }] } });
    made.push(gone);
    const undone = await orphan("vm.create", { id: gone, name: "gone" }, { vmId: gone, diskId: `${gone}-d0` });
    await reconcileTasks(t.db, host, hostId);
    assert.equal((await closed(kept.id)).state, "succeeded");
    assert.equal((await host.vm.get.query({ id })).state, "stopped", "now defined on the host");
    assert.equal((await closed(undone.id)).state, "failed");
    await assert.rejects(host.vm.get.query({ id: gone }), /no VM with id/);
    assert.equal(
      (await host.disk.list.query()).some((d) => d.id === `${gone}-d0`),
      false,
      "its disk went too",
    );
  });

  test("a power operation cut short is closed as interrupted; tasks of the live console are left alone", async () => {
    const vm = await vmWithDisk();
    const cut = await orphan("vm.start", vm, {});
    const mine = await t.db.task.create({ data: { kind: "vm.start", vmId: vm.id, hostId, state: "running", owner: CONSOLE_INSTANCE } });
    await reconcileTasks(t.db, host, hostId);
    const done = await closed(cut.id);
    assert.equal(done.state, "failed");
    assert.match(done.error, /its VM's state is what its host now reports/);
    assert.equal((await closed(mine.id)).state, "running");
  });

  test("runTask journals before the work and records the outcome, progress and the error in words", async () => {
    const vm = { id: "vjournal", name: "journal", hostId };
    let seenBefore = "";
    await runTask(t.db, { kind: "demo.ok", vm, actor: { id: "u1", email: "u@test.local" } }, async (task) => {
      seenBefore = (await t.db.task.findUniqueOrThrow({ where: { id: task.id } })).state;
      await task.progress(50, "half way");
    });
    assert.equal(seenBefore, "running", "the row exists before the host is called");
    const ok = await t.db.task.findFirstOrThrow({ where: { kind: "demo.ok" } });
    assert.deepEqual([ok.state, ok.progress], ["succeeded", 100]);
    assert.deepEqual(
      (ok.log as { line: string }[]).map((l) => l.line),
      ["started by u@test.local", "half way", "done"],
    );
    await assert.rejects(
      runTask(t.db, { kind: "demo.fail", vm, actor: null }, () =>
        Promise.reject(Object.assign(new Error("VM 'vjournal' refused"), { data: { code: "CONFLICT" } })),
      ),
      /refused/,
    );
    const failed = await t.db.task.findFirstOrThrow({ where: { kind: "demo.fail" } });
    assert.deepEqual([failed.state, failed.error], ["failed", "VM 'journal' refused"]);
  });
});
