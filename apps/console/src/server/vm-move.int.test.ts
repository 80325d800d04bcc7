// Moving a VM between two real host services through the console's API (vm.migrate): each host is
// its own process in its own network namespace, joined by a veth pair the test makes and always
// deletes; the RAM stream and the disk mirror flow between the namespaces over TLS, with
// certificates the console's own CA issued. A live move keeps the guest's shell (a variable set
// before is read on the target's serial console after), the DB's hostId follows once, and the
// task has QEMU's downtime; a cancel and a target QEMU killed mid-move leave the guest running at
// the source and nothing at the target; refusals name the reason and change nothing.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { TINY_PROMPT } from "@guesthouse/images";
import { CHILD, exited, REPO, TOKEN, until } from "./crash-host.test-support.ts";
import {
  assertStillAtSource as stillAtSource,
  hostVmIds as idsOn,
  MiB,
  openMoveWorld,
  runningVm as startVm,
  serialText,
  shell,
  slowMove as startSlowMove,
  vmRow as rowOf,
  type MoveWorld,
} from "./move-world.test-support.ts";

let w: MoveWorld;
let t: MoveWorld["t"];
let admin: MoveWorld["admin"];
let srcId = "";
let dstId = "";

before(async () => {
  w = await openMoveWorld("vm");
  ({ t, admin } = w);
  srcId = w.src.id;
  dstId = w.dst.id;
});

after(() => w.close());

const client = (hostId: string) => w.client(hostId);
const vmRow = (id: string) => rowOf(w, id);
const hostVmIds = (hostId: string) => idsOn(w, hostId);
const runningVm = (name: string) => startVm(w, name);
const slowMove = (vmId: string) => startSlowMove(w, vmId);
const assertStillAtSource = (vmId: string, nonce: string) => stillAtSource(w, vmId, nonce);

test("vm.migrate moves a running guest live: its shell variable survives, hostId switches once, the task has QEMU's downtime", async () => {
  const vmId = await runningVm("mover");
  await shell(client(srcId), vmId, "GHVAR=kept-$((6*7)); echo set-$GHVAR", "set-kept-42");
  // An open serial stream, as the VM page has: it must follow the VM to the target by itself.
  const streamed = { text: "", done: false };
  const stream = (await admin.serial.stream({ vmId })) as AsyncIterable<string>;
  const reading = (async () => {
    for await (const b64 of stream) {
      streamed.text += Buffer.from(b64, "base64").toString();
      if (streamed.done) break; // ends the subscription (its finally unsubscribes at the host)
    }
  })();

  const moved = await admin.vm.migrate({ vmId, targetHostId: dstId });
  assert.equal(moved.mode, "live");
  assert.equal(moved.hostId, dstId);

  const row = await vmRow(vmId);
  assert.equal(row.hostId, dstId, "the DB says the target");
  assert.equal(row.state, "running");
  await shell(client(dstId), vmId, "echo got-$GHVAR", "got-kept-42");
  assert.deepEqual(await hostVmIds(srcId), [], "the source let go of it");
  await until(
    "the open serial stream to show what the guest printed at the target",
    async () => streamed.text.includes("got-kept-42"),
    10_000,
  );
  streamed.done = true;
  await shell(client(dstId), vmId, "echo bye-$((1+1))", "bye-2");
  await reading;

  const task = await t.db.task.findUniqueOrThrow({ where: { id: moved.taskId } });
  assert.equal(task.state, "succeeded");
  assert.equal(task.progress, 100);
  const figures = (task.detail as { figures: { downtimeMs: number; ramBytes: number; diskBytes: number } }).figures;
  assert.ok(figures.downtimeMs > 0 && figures.downtimeMs < 5000, `QEMU's downtime ${figures.downtimeMs} ms`);
  assert.ok(figures.ramBytes > MiB && figures.diskBytes >= 16 * MiB, `moved ${figures.ramBytes} B of RAM, ${figures.diskBytes} B of disk`);
  const lines = (task.log as { line: string }[]).map((l) => l.line).join("\n");
  assert.match(lines, new RegExp(`switched over: QEMU measured ${figures.downtimeMs} ms of downtime`));
  console.log(
    `vm.migrate live: downtime ${figures.downtimeMs} ms (QEMU), task ${task.finishedAt!.getTime() - task.createdAt.getTime()} ms`,
  );

  // The console's CA was made once, its key the console's alone.
  assert.equal((await stat(join(w.consoleData, "migration-ca", "ca.key"))).mode & 0o777, 0o600);

  // And it moves back, cold this time.
  await admin.vm.stop({ vmId });
  await until("the VM to be stopped", async () => (await vmRow(vmId)).state === "stopped", 30_000);
  const back = await admin.vm.migrate({ vmId, targetHostId: srcId });
  assert.equal(back.mode, "cold");
  assert.equal((await vmRow(vmId)).hostId, srcId);
  assert.deepEqual(await hostVmIds(dstId), []);
  assert.ok((await hostVmIds(srcId)).includes(vmId));
  await admin.vm.start({ vmId });
  await until("the VM to run after the cold move", async () => (await vmRow(vmId)).state === "running", 60_000);
  await until("its prompt after the cold move", async () => (await serialText(client(srcId), vmId)).includes(TINY_PROMPT), 120_000);
});

test("refusals name the reason and leave both hosts as they were", async () => {
  const vmId = (await t.db.vm.findFirstOrThrow({ where: { name: "mover" } })).id;
  await assert.rejects(admin.vm.migrate({ vmId, targetHostId: srcId }), /already on host 'src'; choose another host/);
  await assert.rejects(admin.vm.migrate({ vmId, targetHostId: "nope" }), /targetHostId: no host with id 'nope'/);
  await t.db.host.update({ where: { id: dstId }, data: { maintenance: true } });
  await assert.rejects(admin.vm.migrate({ vmId, targetHostId: dstId }), /cannot move there: 'dst' is in maintenance/);
  const targets = await admin.vm.moveTargets({ vmId });
  assert.deepEqual(
    targets.map((x) => [x.hostName, x.ok]),
    [["dst", false]],
  );
  assert.match(targets[0]!.reason, /in maintenance/);
  await t.db.host.update({ where: { id: dstId }, data: { maintenance: false } });
  assert.equal(await t.db.task.count({ where: { vmId, state: "failed" } }), 0, "a refusal journals nothing");
  assert.equal((await vmRow(vmId)).hostId, srcId);
  assert.deepEqual(await hostVmIds(dstId), []);

  // A second move of the same VM while one is under way.
  const { move } = await slowMove(vmId);
  await assert.rejects(admin.vm.migrate({ vmId, targetHostId: dstId }), /already being moved/);
  await admin.vm.migrateCancel({ vmId });
  await assert.rejects(move, /the move was cancelled; VM 'mover' keeps running on 'src'/);
});

test("a live move cancelled from the Tasks panel ends 'cancelled' and the guest keeps running at the source", async () => {
  const vmId = (await t.db.vm.findFirstOrThrow({ where: { name: "mover" } })).id;
  const { move, taskId } = await slowMove(vmId);
  // The same Cancel as for any long task (vm.migrateCancel, above, takes the same path).
  assert.equal((await admin.task.list({})).find((x) => x.id === taskId)?.cancellable, true, "the Tasks panel offers Cancel");
  assert.deepEqual(await admin.task.cancel({ id: taskId }), { ok: true });
  await assert.rejects(move, /was cancelled/);
  const task = await t.db.task.findUniqueOrThrow({ where: { id: taskId } });
  assert.equal(task.state, "cancelled");
  assert.match(JSON.stringify(task.log), /cancel requested by [^"]+@test\.local.*cancelled by [^"]+@test\.local/);
  await assertStillAtSource(vmId, "after-cancel");
});

test("a target QEMU killed mid-move: the task fails, the guest runs at the source, the DB agrees", async () => {
  const vmId = (await t.db.vm.findFirstOrThrow({ where: { name: "mover" } })).id;
  const { move, taskId } = await slowMove(vmId);
  const incoming = (await client(dstId).vm.list.query()).find((v) => v.id === vmId);
  assert.ok(incoming?.pid, "the target's waiting QEMU");
  process.kill(incoming.pid, "SIGKILL");
  await assert.rejects(move, /keeps running here/);
  const task = await t.db.task.findUniqueOrThrow({ where: { id: taskId } });
  assert.equal(task.state, "failed");
  await assertStillAtSource(vmId, "after-kill");
});

test("a cold move's task rises with the target's copy, and a cancel mid-copy leaves the VM stopped at the source", async () => {
  const { id: vmId } = await admin.vm.create({
    name: "cold-mover",
    source: { kind: "template", templateId: w.templateId },
    memoryMiB: 128,
    diskGiB: 2,
    nics: [],
    hostId: srcId,
  });
  const diskId = (await t.db.disk.findFirstOrThrow({ where: { vmId } })).path.replace(/^disk:/, "");
  // 2 GiB of data: seconds of copy over TLS between the namespaces, to watch and to cut short.
  const file = join(w.src.proc.dataDir, "host", "disks", `${diskId}.qcow2`);
  const writes = [0, 1, 2, 3].flatMap((i) => ["-c", `write -P 0x${(0x6b + i).toString(16)} ${i * 512}M 512M`]);
  await promisify(execFile)("qemu-io", ["-f", "qcow2", ...writes, file]);
  await until("the VM to be recorded as stopped", async () => (await vmRow(vmId)).state === "stopped");
  const move = admin.vm.migrate({ vmId, targetHostId: dstId });
  let ended = "";
  const seen: number[] = [];
  move.then(
    () => (ended = `the move finished (figures seen: ${seen.join(" → ")})`),
    (e: Error) => (ended = `the move failed: ${e.message}`),
  );
  const task = await until(
    "two of the copy's figures between the console's own 10 and 90",
    async () => {
      assert.equal(ended, "", `before it could be cancelled (figures seen: ${seen.join(" → ")})`);
      const row = await t.db.task.findFirst({ where: { vmId, kind: "vm.migrate", state: "running" } });
      if (row && seen.at(-1) !== row.progress) seen.push(row.progress);
      return row && seen.filter((p) => p > 10 && p < 90).length >= 2 ? row : undefined;
    },
    60_000,
  ).catch((err: Error) => assert.fail(ended || err.message));
  assert.deepEqual(
    seen,
    [...seen].sort((a, b) => a - b),
    `progress never goes back: ${seen.join(" → ")}`,
  );
  assert.equal((await admin.task.list({ vmId })).find((x) => x.id === task.id)?.cancellable, true, "the Tasks panel offers Cancel");
  assert.deepEqual(await admin.task.cancel({ id: task.id }), { ok: true });
  await assert.rejects(move, /cancelled/);
  const done = await t.db.task.findUniqueOrThrow({ where: { id: task.id } });
  assert.equal(done.state, "cancelled");
  assert.ok(done.progress < 90, `it stopped part-way (${done.progress}%)`);
  const row = await vmRow(vmId);
  assert.equal(row.hostId, srcId, "the DB still says the source");
  assert.equal((await client(srcId).vm.get.query({ id: vmId })).state, "stopped", "the source still has it, stopped");
  assert.ok(
    (await client(srcId).disk.list.query()).some((d) => d.id === diskId),
    "with its disk",
  );
  assert.ok(!(await hostVmIds(dstId)).includes(vmId), "the target defined nothing");
  assert.ok(!(await client(dstId).disk.list.query()).some((d) => d.id === diskId), "and kept no copy of the disk");
  await assert.rejects(stat(join(w.dst.proc.dataDir, "host", "incoming", vmId)), /ENOENT/, "nor the half-copied file");
  assert.equal(await client(dstId).vm.progress.query({ id: vmId }), null, "and has nothing under way");
  // The later tests count the source's VMs: this one goes.
  await client(srcId).vm.delete.mutate({ id: vmId, deleteDisks: true });
  await t.db.vm.delete({ where: { id: vmId } });
});

/** A console process that calls vm.migrate and is killed at `point`; then this console reconciles, as after a restart. */
async function consoleDiesMidMove(vmId: string, point: string): Promise<string> {
  const job = {
    databaseUrl: t.url,
    hostToken: TOKEN,
    user: w.user,
    call: "vm.migrate",
    input: { vmId, targetHostId: dstId },
    dataDir: w.consoleData,
  };
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(job)], {
    cwd: REPO,
    env: { ...process.env, GUESTHOUSE_CRASH_AT: point },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let said = "";
  child.stdout?.on("data", (b: Buffer) => (said += b.toString()));
  assert.equal(await exited(child), "SIGKILL", `the console should have died at ${point}; it said: ${said.trim()}`);
  const left = await t.db.task.findFirstOrThrow({ where: { vmId, kind: "vm.migrate", state: "running" } });
  w.sync.resync(srcId);
  const done = await until("the dead console's move to be settled", async () => {
    const row = await t.db.task.findUniqueOrThrow({ where: { id: left.id } });
    return row.state !== "running" && row;
  });
  return `${done.state}: ${(done.log as { line: string }[]).at(-1)?.line}`;
}

test("a console killed before the switch-over: reconciliation removes the target's half, the guest runs at the source", async () => {
  const vmId = (await t.db.vm.findFirstOrThrow({ where: { name: "mover" } })).id;
  const outcome = await consoleDiesMidMove(vmId, "vm.migrate@8");
  assert.match(
    outcome,
    /^failed: interrupted: the move had not switched over; the VM stays on its source, and the target's half was removed/,
  );
  await assertStillAtSource(vmId, "after-console-death");
});

test("a console killed after the switch-over: reconciliation finishes the move at the target, the DB follows", async () => {
  const vmId = (await t.db.vm.findFirstOrThrow({ where: { name: "mover" } })).id;
  await shell(client(srcId), vmId, "GHVAR2=crash-$((5*5)); echo set-$GHVAR2", "set-crash-25");
  const outcome = await consoleDiesMidMove(vmId, "vm.migrate@89");
  assert.match(outcome, /^succeeded: finished after an interruption: 'dst' had the whole VM and runs it; the source's copy was removed/);
  assert.equal((await vmRow(vmId)).hostId, dstId);
  await until("the DB to record it running at the target", async () => (await vmRow(vmId)).state === "running");
  await shell(client(dstId), vmId, "echo got-$GHVAR2", "got-crash-25");
  assert.deepEqual(await hostVmIds(srcId), [], "only the target holds it");
});
