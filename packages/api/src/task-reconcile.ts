// Finishing or undoing what a dead console left half-done (docs/decisions/0018-tasks-journal.md).
// A task still `running` under another console's owner id was cut short: for each kind, ask the
// host what exists, then write the console's half (finish) or remove the host's (undo), and close
// the task saying which. Kinds with nothing to repair (power operations: the host's event stream
// already says what happened) are closed as interrupted.
import type { Db, Task } from "@guesthouse/db";
import type { HostClient, HostGateway } from "./host-gateway.ts";
import { recordRevert, recordSnapshot, recordSnapshotDelete, type PlannedSnapshot, type SnapshotRef } from "./snapshot-record.ts";
import { CONSOLE_INSTANCE, finishTask } from "./tasks.ts";
import { CANCELLABLE, cancelRequestedBy } from "./task-cancel.ts";
import { recordCapture, recordClone } from "./template-record.ts";
import { specForVm } from "./vm-spec.ts";
import { makeDefaultNetwork } from "./network-create.ts";
import { hostNetworkOf } from "./network-host.ts";
import { settleSpecChange, SPEC_CHANGE_KINDS } from "./vm-spec-change.ts";
import { FORWARD_KINDS, NIC_LINK_KIND, settleForwardChange, settleNicLink } from "./live-nic-change.ts";
import { MOVE_KIND } from "./vm-move-plan.ts";
import { settleMove } from "./vm-move-reconcile.ts";
import { EVACUATION_KINDS } from "./evacuation-plan.ts";

type Outcome = { state: "succeeded" | "failed"; line: string; error?: string };
/** `hosts`: for the kinds that involve two hosts (a move asks both what they hold). */
type Handler = (db: Db, host: HostClient, task: Task, hosts?: HostGateway) => Promise<Outcome>;

const hostHas = (p: Promise<unknown>) =>
  p.then(
    () => true,
    (err: { data?: { code?: string } }) => {
      if (err?.data?.code === "NOT_FOUND") return false;
      throw err;
    },
  );
const actorOf = (t: Task) => ({ id: t.actorId, email: t.actorName, taskId: t.id });
const interrupted = (what: string): Outcome => ({
  state: "failed",
  line: `interrupted: ${what}`,
  error: `Interrupted (the console or the host stopped half-way): ${what}`,
});

const HANDLERS: Record<string, Handler> = {
  ...Object.fromEntries(SPEC_CHANGE_KINDS.map((kind) => [kind, (db: Db, host: HostClient, t: Task) => settleSpecChange(db, host, t)])),
  ...Object.fromEntries(FORWARD_KINDS.map((kind) => [kind, (db: Db, host: HostClient, t: Task) => settleForwardChange(db, host, t)])),
  [NIC_LINK_KIND]: settleNicLink,

  // Both hosts say what they hold; the guest ends up in exactly one place (vm-move-reconcile.ts).
  [MOVE_KIND]: (db, _host, t, hosts) => settleMove(db, hosts, t),

  // Each disk's choice is one host step; the host's undo disks say how far it got.
  async "vm.undo"(db, host, t) {
    const { action, diskIds } = t.input as { action: string; diskIds: string[] };
    const pending = [];
    for (const id of diskIds) if ((await host.disk.info.query({ id }).catch(() => null))?.undoPending) pending.push(id);
    if (action === "keep" || pending.length === 0)
      return { state: "succeeded", line: `finished after an interruption: the host had applied '${action}' to every undo disk` };
    return interrupted(`${pending.length} of ${diskIds.length} undo disks still hold changes that wait for a choice`);
  },

  async "snapshot.take"(db, host, t) {
    const planned = t.input as unknown as PlannedSnapshot;
    const vm = t.vmId ? await db.vm.findUnique({ where: { id: t.vmId }, select: { id: true, name: true } }) : null;
    if (!vm) return interrupted("the VM is gone");
    const onDisk = await host.snapshot.list.query({ id: vm.id });
    if (!onDisk.some((s) => s.name === planned.tag)) return interrupted("the host had not taken the snapshot; nothing changed");
    await recordSnapshot(db, vm, planned, actorOf(t));
    return { state: "succeeded", line: "finished after an interruption: the host had taken the snapshot, now it is in the tree" };
  },

  async "snapshot.revert"(db, host, t) {
    const snap = t.input as unknown as SnapshotRef;
    const vm = t.vmId ? await db.vm.findUnique({ where: { id: t.vmId }, select: { id: true, name: true } }) : null;
    if (!vm) return interrupted("the VM is gone");
    const onHost = (await host.snapshot.list.query({ id: vm.id })).find((s) => s.name === snap.tag);
    if (!onHost?.current) return interrupted("the host had not reverted the VM; nothing changed");
    await recordRevert(db, vm, snap, actorOf(t));
    return { state: "succeeded", line: `finished after an interruption: the host had reverted to '${snap.name}'` };
  },

  async "snapshot.delete"(db, host, t) {
    const snap = t.input as unknown as SnapshotRef;
    const vm = t.vmId ? await db.vm.findUnique({ where: { id: t.vmId }, select: { id: true, name: true } }) : null;
    if (!vm) return interrupted("the VM is gone");
    if ((await host.snapshot.list.query({ id: vm.id })).some((s) => s.name === snap.tag))
      return interrupted("the host still has the snapshot; it was not deleted");
    await recordSnapshotDelete(db, vm, snap, actorOf(t));
    return { state: "succeeded", line: `finished after an interruption: the host had deleted '${snap.name}', now the tree has too` };
  },

  async "template.capture"(db, host, t) {
    const { templateId, name } = t.input as { templateId: string; name: string };
    const onHost = (await host.template.list.query()).find((x) => x.id === templateId);
    if (!onHost) return interrupted("the host had not made the template; the VM is unchanged");
    if (!(await db.template.findUnique({ where: { id: templateId }, select: { id: true } }))) {
      const vm = await db.vm.findUnique({ where: { id: t.vmId ?? "" }, select: { id: true, name: true, hostId: true } });
      if (!vm) return interrupted("the VM's row is gone, so the template cannot be described");
      await recordCapture(db, { templateId, name, vm, withRam: onHost.withRam, actor: actorOf(t) });
    }
    return { state: "succeeded", line: "finished after an interruption: the host had made the template" };
  },

  async "template.clone"(db, host, t) {
    const p = t.input as { vmId: string; templateId: string; name: string; mode: "instant" | "linked" | "full" };
    if (!(await hostHas(host.vm.get.query({ id: p.vmId })))) {
      // Disks the host made for it before it died (clones.ts names them `<clone id>-disk<i>`) go too.
      const leftovers = (await host.disk.list.query()).filter((d) => d.id.startsWith(`${p.vmId}-disk`));
      for (const d of leftovers) await host.disk.delete.mutate({ id: d.id });
      return interrupted(
        `the host had not made the clone${leftovers.length ? "; the disks it had begun were removed" : ""}; nothing changed`,
      );
    }
    const tpl = await db.template.findUnique({ where: { id: p.templateId } });
    if (!tpl) return interrupted("the template is gone");
    const view = await host.vm.get.query({ id: p.vmId });
    await recordClone(db, { tpl, view, ...p, actor: actorOf(t) });
    return { state: "succeeded", line: "finished after an interruption: the host had made the clone, now it is listed" };
  },

  async "vm.create"(db, host, t) {
    const { vmId, diskId } = t.input as { vmId: string; diskId: string | null };
    const row = await db.vm.findUnique({ where: { id: vmId }, select: { id: true } });
    const defined = await hostHas(host.vm.get.query({ id: vmId }));
    if (row && defined) return { state: "succeeded", line: "finished: the VM was already made on both sides" };
    if (row) {
      await host.vm.define.mutate({ id: vmId, spec: await specForVm(db, vmId) });
      return { state: "succeeded", line: "finished after an interruption: the VM is now defined on its host" };
    }
    if (defined) await host.vm.delete.mutate({ id: vmId, deleteDisks: true });
    if (diskId) await host.disk.delete.mutate({ id: diskId }).catch(() => undefined);
    return interrupted("the VM had not been recorded, so what the host had made of it was removed");
  },

  async "vm.delete"(db, host, t) {
    const vmId = t.vmId ?? "";
    if (await hostHas(host.vm.get.query({ id: vmId }))) return interrupted("the host still has the VM; it was not deleted");
    // The host forgets the VM before it deletes its disks: any it had not reached yet go now.
    const { diskIds = [] } = (t.input ?? {}) as { diskIds?: string[] };
    const onHost = new Set((await host.disk.list.query()).map((d) => d.id));
    for (const id of diskIds.filter((d) => onHost.has(d))) await host.disk.delete.mutate({ id });
    await db.vm.deleteMany({ where: { id: vmId } });
    return { state: "succeeded", line: "finished after an interruption: the host had deleted the VM, now its row is gone too" };
  },

  // The host links a whole file into its library, then the console writes the row: a file with no
  // row is the dead console's alone, and goes (a retry uploads it again).
  async "media.upload"(db, host, t) {
    const { name } = t.input as { name: string };
    if (await db.media.findUnique({ where: { name }, select: { id: true } }))
      return { state: "succeeded", line: `finished: '${name}' and its library entry were both kept` };
    // Only a file written before this console started: a newer one is some live upload's.
    const writtenBefore = Math.floor(Date.now() - process.uptime() * 1000);
    const { removed } = await host.media.discard.mutate({ name, writtenBefore });
    return interrupted(
      removed
        ? `the host had received '${name}' whole, but it was never added to the library; the file was removed, upload it again`
        : `nothing of '${name}' was kept; upload it again`,
    );
  },

  // The row is written first, then the host makes the network: finish by asking the host again (ensure is idempotent).
  async "network.create"(db, host, t) {
    const { networkId, makeDefault } = t.input as { networkId: string; makeDefault?: boolean };
    const row = await db.network.findUnique({ where: { id: networkId }, select: { id: true, kind: true, bridge: true, subnet: true } });
    if (!row) {
      await host.network.remove.mutate({ id: networkId }).catch(() => undefined);
      return interrupted("the network had not been recorded; whatever its host had made of it was removed");
    }
    const realise = hostNetworkOf(row);
    if (realise) await host.network.ensure.mutate({ network: realise });
    if (makeDefault) await makeDefaultNetwork(db, networkId);
    return { state: "succeeded", line: "finished after a console restart: the network is made on its host" };
  },

  // The host removes first, then the row goes: finish the removal on both sides.
  async "network.delete"(db, host, t) {
    const { networkId } = t.input as { networkId: string };
    await host.network.remove.mutate({ id: networkId }).catch((err: { data?: { code?: string } }) => {
      if (err?.data?.code !== "NOT_FOUND") throw err;
    });
    await db.network.deleteMany({ where: { id: networkId } });
    return { state: "succeeded", line: "finished after a console restart: the network is gone from its host and the console" };
  },
};

/** Whether the host still runs the task's long operation (vm.progress answers for it); it is settled on a later pass. */
async function stillUnderWay(host: HostClient, task: Pick<Task, "kind" | "vmId" | "input">): Promise<boolean> {
  const rule = CANCELLABLE[task.kind];
  const opId = rule && !rule.here && !rule.hostIdOf ? rule.hostOpId(task) : undefined;
  if (!opId) return false;
  return (await host.vm.progress.query({ id: opId }).catch(() => null)) !== null;
}

/** Closes every task of `hostId` left running by another (dead) console; returns how many it closed. */
export async function reconcileTasks(db: Db, host: HostClient, hostId: string, hosts?: HostGateway): Promise<number> {
  const orphans = await db.task.findMany({
    // Another console's (it died), or no console's: "" when the host went away mid-call (tasks.ts).
    // An evacuation is not undone but resumed, by the job queue (evacuation.ts, orphanedEvacuations).
    where: { hostId, state: { in: ["queued", "running"] }, owner: { not: CONSOLE_INSTANCE }, kind: { notIn: EVACUATION_KINDS } },
    orderBy: { createdAt: "asc" },
  });
  let closed = 0;
  for (const task of orphans) {
    // Its host is still copying (the console died while it waited, or mid-cancel): only the end tells.
    if (await stillUnderWay(host, task)) continue;
    closed += 1;
    const handler = HANDLERS[task.kind];
    const outcome = handler ? await handler(db, host, task, hosts) : interrupted("its VM's state is what its host now reports");
    // A cancel was asked for and the host's half did not happen (or was undone): that is what the person asked.
    const by = cancelRequestedBy(task.input);
    if (by && outcome.state === "failed") await finishTask(db, task.id, "cancelled", `cancelled by ${by}; ${outcome.line}`);
    else await finishTask(db, task.id, outcome.state, outcome.line, outcome.error ?? "");
  }
  return closed;
}
