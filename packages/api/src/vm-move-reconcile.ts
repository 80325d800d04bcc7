// Settling a move cut short (ADR 0045): the console died mid-move, or a host stopped answering.
// Both hosts are asked what they hold, and the guest ends up running in exactly one place, which
// the DB's hostId names. The rule: once the target has the whole guest (its QEMU received the
// stream, or it holds the VM as its own) the move is finished there and the source's copy goes;
// before that, the target's half goes and the guest stays at the source.
import type { Db, Task } from "@guesthouse/db";
import type { HostClient, HostGateway } from "./host-gateway.ts";
import { switchHost } from "./vm-move.ts";
import { MOVE_KIND } from "./vm-move-plan.ts";

type Outcome = { state: "succeeded" | "failed"; line: string; error?: string };
const interrupted = (what: string): Outcome => ({
  state: "failed",
  line: `interrupted: ${what}`,
  error: `Interrupted (the console or a host stopped half-way): ${what}`,
});

async function holds(host: HostClient, id: string) {
  return host.vm.get.query({ id }).then(
    (view) => view,
    (err: { data?: { code?: string } }) => {
      if (err?.data?.code === "NOT_FOUND") return null;
      throw err;
    },
  );
}

/** A host's copy of a moved VM goes: released (source) or aborted (target) while the host still knows the move, else stopped and deleted. */
async function dropCopy(host: HostClient, id: string): Promise<boolean> {
  const view = await holds(host, id);
  if (!view) return false;
  const ended = async (call: Promise<unknown>) => call.then(() => true).catch(() => false);
  if (await ended(host.migration.release.mutate({ id }))) return true;
  if (await ended(host.migration.abort.mutate({ id }))) return true;
  if (view.pid) await host.vm.powerOff.mutate({ id });
  await host.vm.delete.mutate({ id, deleteDisks: true });
  return true;
}

async function dropSourceCopy(source: HostClient, id: string): Promise<string> {
  return (await dropCopy(source, id)) ? "the source's copy was removed" : "the source had already let go of it";
}

/**
 * Copies that `hostId` still holds of VMs the DB places on another host: left by a move that ended
 * while this host did not answer, so its release or abort never arrived. A copy goes only when a
 * finished move of that VM involved this host, the copy does not run, and the VM's own host holds
 * the VM; anything else is left alone and named. Returns what was removed and what was kept.
 */
export async function dropStaleMoveCopies(
  db: Db,
  gateway: HostGateway,
  hostId: string,
  host: HostClient,
  held: { id: string; state: string }[],
): Promise<{ removed: string[]; kept: { id: string; why: string }[] }> {
  const removed: string[] = [];
  const kept: { id: string; why: string }[] = [];
  // One query for the whole list: a host's reconcile looks at every VM it holds.
  const elsewhere = new Map(
    (await db.vm.findMany({ where: { id: { in: held.map((v) => v.id) }, NOT: { hostId } }, select: { id: true, hostId: true } })).map(
      (r) => [r.id, r],
    ),
  );
  for (const vm of held) {
    const row = elsewhere.get(vm.id);
    if (!row) continue;
    const involved = await db.task.count({
      where: {
        vmId: vm.id,
        kind: MOVE_KIND,
        state: { in: ["succeeded", "failed", "cancelled"] },
        OR: [{ input: { path: ["sourceHostId"], equals: hostId } }, { input: { path: ["targetHostId"], equals: hostId } }],
      },
    });
    if (!involved) kept.push({ id: vm.id, why: "the DB places it on another host, and no move of it involved this one" });
    else if (vm.state === "running") kept.push({ id: vm.id, why: "it runs here, though the DB places it on another host" });
    else if (!(await holds(await gateway.forHost(row.hostId), vm.id).catch(() => null)))
      kept.push({ id: vm.id, why: "its own host does not answer for it yet" });
    else if (await dropCopy(host, vm.id)) removed.push(vm.id);
  }
  return { removed, kept };
}

export async function settleMove(db: Db, gateway: HostGateway | undefined, task: Task): Promise<Outcome> {
  const { sourceHostId, targetHostId } = task.input as { sourceHostId: string; targetHostId: string };
  const id = task.vmId ?? "";
  const row = await db.vm.findUnique({ where: { id }, select: { hostId: true } });
  if (!row) return interrupted("the VM is gone");
  if (!gateway) return interrupted("the hosts were not asked; the VM's state is what its host reports");
  const [source, target] = await Promise.all([gateway.forHost(sourceHostId), gateway.forHost(targetHostId)]);
  const atTarget = await holds(target, id);
  const incoming = atTarget ? await target.migration.progress.query({ id }) : null;
  const targetName = (await db.host.findUnique({ where: { id: targetHostId }, select: { name: true } }))?.name ?? targetHostId;

  if (row.hostId === targetHostId) {
    if (!atTarget) return interrupted(`the console says '${targetName}' but it does not hold the VM; nothing was removed`);
    return {
      state: "succeeded",
      line: `finished after an interruption: the VM is on '${targetName}'; ${await dropSourceCopy(source, id)}`,
    };
  }
  if (atTarget && incoming?.moving && incoming.role === "target" && incoming.phase === "received") {
    // The source had switched over (its CPUs stopped for good): the guest continues at the target.
    await switchHost(db, id, targetHostId, await target.migration.finish.mutate({ id }));
    return {
      state: "succeeded",
      line: `finished after an interruption: '${targetName}' had the whole VM and runs it; ${await dropSourceCopy(source, id)}`,
    };
  }
  if (atTarget && !incoming?.moving) {
    // Finished at the target (or copied, cold) before the console could record it.
    await switchHost(db, id, targetHostId, atTarget);
    return {
      state: "succeeded",
      line: `finished after an interruption: the VM is on '${targetName}'; ${await dropSourceCopy(source, id)}`,
    };
  }
  // Not switched over: the source keeps the guest; whatever the target had begun goes.
  await source.migration.cancel.mutate({ id }).catch(() => undefined);
  await source.migration.coldExportEnd.mutate({ id }).catch(() => undefined);
  if (atTarget) await target.migration.abort.mutate({ id }).catch(() => undefined);
  return interrupted(`the move had not switched over; the VM stays on its source${atTarget ? ", and the target's half was removed" : ""}`);
}
