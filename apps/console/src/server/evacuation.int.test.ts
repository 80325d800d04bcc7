// Maintenance mode through the console's API, with three real host services, each in its own
// network namespace (veth pairs the test makes and always deletes) and the console's real job
// queue (pg-boss), heartbeat and state sync (evacuation-world.test-support.ts). The two targets
// report small RAM figures (GUESTHOUSE_TEST_MEMORY_MIB) that force a split: naive "most free RAM"
// would put every guest on the larger one. Three tiny guests move live onto the two targets
// without overfilling either, each keeping a shell variable read over serial after; a guest no
// target has room for is named with its reason and keeps running at the source; leaving
// maintenance moves the three back. A cancel leaves every guest at the source; a console killed
// mid-evacuation is resumed by the next one's job queue, with no guest moved twice.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { CHILD, exited, REPO, TOKEN, until } from "./crash-host.test-support.ts";
import { openEvacuationWorld, type EvacuationWorld } from "./evacuation-world.test-support.ts";

const MiB = 1024 * 1024;
/** RAM each host reports (MiB): the source has room for all; a for two 128 MiB guests, b for one. */
const CAPACITY = { src: 2048, a: 300, b: 200 } as const;

let w: EvacuationWorld;
let src = "";
const guests: Record<string, string> = {};
let big = "";

before(async () => {
  w = await openEvacuationWorld(CAPACITY);
  src = w.ids.src!;
});
after(() => w?.close());

const vmRow = (id: string) => w.t.db.vm.findUniqueOrThrow({ where: { id } });

test("maintenance moves three guests onto two targets without overfilling either, names the one that cannot move, and moves them back", async () => {
  for (const name of ["g1", "g2", "g3"]) {
    guests[name] = await w.runningVm(name, 128);
    await w.shell(w.client(src), guests[name]!, `GHVAR=${name}-$((6*7)); echo set-$GHVAR`, `set-${name}-42`);
  }
  big = await w.runningVm("big", 320); // more than either target has free
  await until("the source's heartbeat to count the four guests", async () => {
    const h = await w.t.db.host.findUniqueOrThrow({ where: { id: src } });
    return h.memoryFreeBytes === BigInt(CAPACITY.src - 3 * 128 - 320) * 1024n * 1024n;
  });

  // The confirm dialog's preview: the same planner the evacuation runs.
  const preview = await w.admin.host.evacuationPreview({ hostId: src });
  assert.deepEqual(
    preview.refused.map((r) => r.vmName),
    ["big"],
  );
  assert.match(preview.refused[0]!.reason, /no host can take it: 'a' has 300 MiB of RAM free; the VM needs 320 MiB; 'b' has 200 MiB/);
  assert.equal(preview.moves.length, 3);

  const { taskId } = await w.admin.host.setMaintenance({ hostId: src, on: true });
  assert.ok(taskId, "an evacuation task");
  // While it runs, the page's view has a row per guest.
  const during = await w.admin.host.evacuation({ hostId: src });
  assert.equal(during?.guests.length, 4);
  const parent = await w.finished(taskId);
  assert.equal(parent.state, "succeeded", `${parent.error} ${JSON.stringify(parent.log)}`);
  assert.equal(parent.progress, 100);
  console.log(`evacuation of 3 guests (TCG, 128 MiB each, 2 at a time): ${parent.finishedAt!.getTime() - parent.createdAt.getTime()} ms`);

  const view = (await w.admin.host.evacuation({ hostId: src }))!;
  assert.deepEqual(view.guests.map((g) => [g.vmName, g.state]).sort(), [
    ["big", "refused"],
    ["g1", "moved"],
    ["g2", "moved"],
    ["g3", "moved"],
  ]);
  assert.equal(view.done, 3);
  assert.equal(view.total, 3);
  assert.ok(
    view.guests.filter((g) => g.state === "moved").every((g) => g.percent === 100 && g.mode === "live" && g.taskId),
    "each moved guest's own live move reached 100%",
  );
  const children = await w.t.db.task.findMany({ where: { parentId: taskId } });
  assert.deepEqual(
    children.map((c) => [c.kind, c.state]),
    [
      ["vm.migrate", "succeeded"],
      ["vm.migrate", "succeeded"],
      ["vm.migrate", "succeeded"],
    ],
  );

  // No target overfilled: a holds two 128 MiB guests of its 300, b one of its 200.
  const onA = await w.hostVmIds(w.ids.a!);
  const onB = await w.hostVmIds(w.ids.b!);
  assert.equal(onA.length, 2, `a holds ${onA.length}`);
  assert.equal(onB.length, 1, `b holds ${onB.length}`);
  for (const [name, id] of Object.entries(guests)) {
    const row = await vmRow(id);
    assert.ok(row.hostId === w.ids.a || row.hostId === w.ids.b, `${name} is on a target`);
    assert.equal(row.evacuatedFromHostId, src, `${name} remembers where it came from`);
    await w.shell(w.client(row.hostId), id, `echo got-$GHVAR`, `got-${name}-42`);
  }

  // The guest that could not move still runs where it was, and says so.
  assert.equal((await vmRow(big)).hostId, src);
  await w.shell(w.client(src), big, "echo big-still-$((2+2))", "big-still-4");
  assert.deepEqual(await w.hostVmIds(src), [big]);
  assert.match(parent.log ? JSON.stringify(parent.log) : "", /stayed: 'big' \(no host can take it/);

  // A host in maintenance takes no placements, and a second evacuation of it is refused while one runs.
  await assert.rejects(w.admin.host.evacuationCancel({ hostId: src }), /no evacuation or move-back under way/);

  // Leaving maintenance, moving them back.
  const back = await w.admin.host.setMaintenance({ hostId: src, on: false, moveBack: true });
  assert.ok(back.taskId);
  const returned = await w.finished(back.taskId);
  assert.equal(returned.state, "succeeded", `${returned.error} ${JSON.stringify(returned.log)}`);
  assert.equal(returned.kind, "host.moveBack");
  assert.deepEqual(await w.hostVmIds(src), [big, ...Object.values(guests)].sort());
  assert.deepEqual(await w.hostVmIds(w.ids.a!), []);
  assert.deepEqual(await w.hostVmIds(w.ids.b!), []);
  for (const [name, id] of Object.entries(guests)) {
    const row = await vmRow(id);
    assert.equal(row.hostId, src);
    assert.equal(row.evacuatedFromHostId, null);
    await w.shell(w.client(src), id, `echo home-$GHVAR`, `home-${name}-42`);
  }
  const host = await w.t.db.host.findUniqueOrThrow({ where: { id: src } });
  assert.equal(host.maintenance, false);
});

/** Guests still moved away from src by nobody: all three at the source, both targets empty. */
async function assertAllHome(why: string) {
  assert.deepEqual(await w.hostVmIds(src), [big, ...Object.values(guests)].sort(), why);
  assert.deepEqual(await w.hostVmIds(w.ids.a!), [], why);
  assert.deepEqual(await w.hostVmIds(w.ids.b!), [], why);
  for (const id of Object.values(guests)) assert.equal((await vmRow(id)).hostId, src, why);
}

test("a cancelled evacuation stops queuing moves, cancels the one under way, and every guest stays at the source", async () => {
  const { taskId } = await w.admin.host.setMaintenance({ hostId: src, on: true, concurrency: 1, maxBandwidth: 2 * MiB });
  assert.ok(taskId);
  await until(
    "the first guest's RAM to be on its way",
    async () => {
      const child = await w.t.db.task.findFirst({ where: { parentId: taskId, state: "running" } });
      const detail = child?.detail as { phase?: string; ram?: { transferredBytes: number } | null } | null;
      return detail?.phase === "migrating" && (detail.ram?.transferredBytes ?? 0) > 0;
    },
    60_000,
  );
  await w.admin.host.evacuationCancel({ hostId: src });
  const parent = await w.finished(taskId);
  assert.equal(parent.state, "cancelled");
  assert.match(JSON.stringify(parent.log), /cancelled by ops@test.local: 0 of 4 guest\(s\) moved/);
  const view = (await w.admin.host.evacuation({ hostId: src }))!;
  assert.deepEqual(
    view.guests.map((g) => [g.vmName, g.state]),
    [
      ["g1", "cancelled"],
      ["g2", "cancelled"],
      ["g3", "cancelled"],
      ["big", "refused"],
    ],
  );
  assert.match(view.guests[1]!.reason, /cancelled before it moved/);
  const children = await w.t.db.task.findMany({ where: { parentId: taskId } });
  assert.deepEqual(
    children.map((c) => c.state),
    ["cancelled"],
    "one move had begun, and it was cancelled",
  );
  await until("the target's half of the cancelled move to be gone", async () => (await w.hostVmIds(w.ids.a!)).length === 0, 30_000);
  await assertAllHome("after the cancel");
  for (const [name, id] of Object.entries(guests)) await w.shell(w.client(src), id, `echo still-$GHVAR`, `still-${name}-42`);
  await w.admin.host.setMaintenance({ hostId: src, on: false });
});

test("a console killed mid-evacuation: the next console's job queue resumes it, and no guest moves twice", async () => {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      CHILD,
      JSON.stringify({
        databaseUrl: w.t.url,
        hostToken: TOKEN,
        user: w.user,
        call: "host.setMaintenance",
        input: { hostId: src, on: true, concurrency: 1 },
        dataDir: w.consoleData,
        waitForTask: true,
      }),
    ],
    { cwd: REPO, env: { ...process.env, GUESTHOUSE_CRASH_AT: "host.evacuate@guest-1" }, stdio: ["ignore", "pipe", "inherit"] },
  );
  let said = "";
  child.stdout?.on("data", (b: Buffer) => (said += b.toString()));
  assert.equal(await exited(child), "SIGKILL", `the console should have died after its first move; it said: ${said.trim()}`);
  const left = await w.t.db.task.findFirstOrThrow({ where: { kind: "host.evacuate", state: "running" } });
  assert.equal(await w.t.db.task.count({ where: { parentId: left.id, state: "succeeded" } }), 1, "one guest had moved");

  await w.restartJobs(); // as a console that starts again
  const parent = await w.finished(left.id);
  assert.equal(parent.state, "succeeded", `${parent.error} ${JSON.stringify(parent.log)}`);
  assert.match(JSON.stringify(parent.log), /resumed by a console that started again/);
  const children = await w.t.db.task.findMany({ where: { parentId: left.id } });
  assert.deepEqual(
    children.map((c) => [c.vmName, c.state]).sort(),
    [
      ["g1", "succeeded"],
      ["g2", "succeeded"],
      ["g3", "succeeded"],
    ],
    "each guest moved once",
  );
  assert.equal((await w.hostVmIds(w.ids.a!)).length, 2);
  assert.equal((await w.hostVmIds(w.ids.b!)).length, 1);
  for (const [name, id] of Object.entries(guests)) {
    const row = await vmRow(id);
    await w.shell(w.client(row.hostId), id, `echo resumed-$GHVAR`, `resumed-${name}-42`);
  }
  const back = await w.admin.host.setMaintenance({ hostId: src, on: false, moveBack: true });
  assert.equal((await w.finished(back.taskId!)).state, "succeeded");
  await assertAllHome("after moving back");
});
