// Settling a move cut short (ADR 0045): the console died mid-move, or a host stopped answering.
// Both hosts are asked what they hold, and the guest ends up running in exactly one place, which
// the DB's hostId names. The rule: once the target has the whole guest (its QEMU received the
// stream, or it holds the VM as its own) the move is finished there and the source's copy goes;
// before that, the target's half goes and the guest stays at the source.
import type { Db, Task } from "@guesthouse/db";
import type { HostClient, HostGateway } from "./host-gateway.ts";
import { switchHost } from "./vm-move.ts";

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

/** The source's copy goes: by release while its host still knows the move, else stopped and deleted. */
async function dropSourceCopy(source: HostClient, id: string): Promise<string> {
  const view = await holds(source, id);
  if (!view) return "the source had already let go of it";
  const released = await source.migration.release.mutate({ id }).then(
    () => true,
    () => false,
  );
  if (!released) {
    if (view.pid) await source.vm.powerOff.mutate({ id });
    await source.vm.delete.mutate({ id, deleteDisks: true });
  }
  return "the source's copy was removed";
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
