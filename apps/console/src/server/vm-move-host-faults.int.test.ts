// A host service killed (SIGKILL) in the middle of a move the console drives (issue 14: "Kill the
// target in mid-migration, or the source after the switch-over. Either way the guest ends up
// running in exactly one place, and the DB agrees"). Two real host services in their own network
// namespaces, real tiny Linux guests; what the guest answers on its serial console is the proof
// that it runs, and the hosts' own VM lists and QEMU processes show where a copy is left.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { processAlive as alive } from "../../../host/src/harness.test-support.ts";
import { exited, until } from "./crash-host.test-support.ts";
import { hostVmIds, openMoveWorld, runningVm, shell, slowMove, vmRow, type MoveWorld } from "./move-world.test-support.ts";

let w: MoveWorld;
before(async () => {
  w = await openMoveWorld("hf");
});
after(() => w.close());

const pidOn = async (hostId: string, vmId: string) => (await w.client(hostId).vm.list.query()).find((v) => v.id === vmId)?.pid ?? 0;
const online = (hostId: string) =>
  until(
    "the host to be online again",
    async () => (await w.t.db.host.findUniqueOrThrow({ where: { id: hostId } })).state === "online",
    30_000,
  );

test("the source's host service killed after the switch-over: the guest runs at the target, and the source's copy goes once it is back", async () => {
  const vmId = await runningVm(w, "src-dies");
  await shell(w.client(w.src.id), vmId, "GHV=after-$((3*4)); echo set-$GHV", "set-after-12");
  const sourcePid = await pidOn(w.src.id, vmId);
  // The source's service dies the moment the console asks it to let go of its copy.
  await w.src.proc.stop();
  await w.src.proc.start("migration.release:begun");
  await online(w.src.id);
  await until("the VM to be running again in the DB", async () => (await vmRow(w, vmId)).state === "running", 30_000);

  const moved = await w.admin.vm.migrate({ vmId, targetHostId: w.dst.id });
  assert.equal(moved.hostId, w.dst.id);
  assert.equal(await exited(w.src.proc.child!), "SIGKILL", "the source's service died at release");
  const task = await w.t.db.task.findUniqueOrThrow({ where: { id: moved.taskId } });
  assert.equal(task.state, "succeeded");
  assert.equal((await vmRow(w, vmId)).hostId, w.dst.id);
  await shell(w.client(w.dst.id), vmId, "echo got-$GHV", "got-after-12");

  await w.src.proc.start();
  await online(w.src.id);
  await until("the source to let go of its stale copy", async () => !(await hostVmIds(w, w.src.id)).includes(vmId), 30_000);
  await until("the source's paused QEMU to be gone", async () => !alive(sourcePid), 10_000);
  assert.equal((await vmRow(w, vmId)).hostId, w.dst.id, "the DB still says the target");
  assert.equal((await vmRow(w, vmId)).state, "running");
  await shell(w.client(w.dst.id), vmId, "echo still-$GHV", "still-after-12");
  await w.admin.vm.stop({ vmId });
});

test("the target's host service killed mid-move: the guest runs on at the source, and the target's half goes once it is back", async () => {
  const vmId = await runningVm(w, "dst-dies");
  await shell(w.client(w.src.id), vmId, "GHW=kept-$((7*8)); echo set-$GHW", "set-kept-56");
  const { move, taskId } = await slowMove(w, vmId);
  const targetPid = await pidOn(w.dst.id, vmId);
  assert.ok(targetPid, "the target's waiting QEMU");
  w.dst.proc.child!.kill("SIGKILL");
  await exited(w.dst.proc.child!);

  await assert.rejects(move, /'dst' stopped answering before it ran the VM; it runs on at 'src'/);
  assert.equal((await w.t.db.task.findUniqueOrThrow({ where: { id: taskId } })).state, "failed");
  assert.equal((await vmRow(w, vmId)).hostId, w.src.id, "the DB says the source");
  await shell(w.client(w.src.id), vmId, "echo got-$GHW", "got-kept-56");
  await until("the DB to show it running at the source", async () => (await vmRow(w, vmId)).state === "running", 10_000);

  await w.dst.proc.start();
  await online(w.dst.id);
  await until("the target to drop its half", async () => !(await hostVmIds(w, w.dst.id)).includes(vmId), 30_000);
  await until("the target's QEMU to be gone", async () => !alive(targetPid), 10_000);
  await shell(w.client(w.src.id), vmId, "echo still-$GHW", "still-kept-56");
  assert.equal((await vmRow(w, vmId)).hostId, w.src.id);
});
