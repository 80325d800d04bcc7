// A change to what a VM is made of — hardware settings, undo disks, NICs — as a journaled task
// (docs/decisions/0018-tasks-journal.md). The task row comes first; then one DB transaction writes
// the change and its audit row and hands the host the VM's whole new spec before it commits, so a
// host refusal leaves nothing changed. The host's half is always the whole spec, so a change cut
// short on either side is settled by sending the host the DB's spec again: when the transaction had
// committed (its audit row, which names the task, exists) the change is finished, otherwise undone.
import type { Db, Prisma } from "@guesthouse/db";
import { audit } from "./audit.ts";
import type { HostClient, HostGateway } from "./host-gateway.ts";
import { runTask } from "./tasks.ts";
import { specForVm } from "./vm-spec.ts";

/** The task kinds that change a VM's spec; reconciliation settles each the same way. */
export const SPEC_CHANGE_KINDS = ["vm.update", "vm.setUndo", "vm.nicAdd", "vm.nicRemove"] as const;
export type SpecChangeKind = (typeof SPEC_CHANGE_KINDS)[number];

export interface SpecChangeCtx {
  db: Db;
  hosts: HostGateway;
  vm: { id: string; name: string; hostId: string };
  user: { id: string; email: string };
  ip: string;
}

type Tx = Prisma.TransactionClient;

/**
 * Runs `change` (the DB half, which also calls the host before it returns) in one transaction with
 * its audit row naming the task, after the task row: the pattern every two-sided VM change shares.
 */
export async function journaledVmChange<T>(
  ctx: SpecChangeCtx,
  kind: string,
  input: Prisma.InputJsonValue | undefined,
  change: (tx: Tx, host: HostClient) => Promise<{ result: T; detail: Prisma.InputJsonValue }>,
  opts: { timeoutMs?: number } = {},
): Promise<T> {
  const host = await ctx.hosts.forHost(ctx.vm.hostId);
  return runTask(ctx.db, { kind, vm: ctx.vm, actor: ctx.user, input }, async (task) =>
    ctx.db.$transaction(
      async (tx) => {
        await task.progress(10, "recording the change and sending it to the host");
        const { result, detail } = await change(tx, host);
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: kind,
          vmId: ctx.vm.id,
          vmName: ctx.vm.name,
          outcome: "success",
          detail,
          ip: ctx.ip,
          taskId: task.id,
        });
        await task.progress(80, "the host has the change; recording it");
        return result;
      },
      { timeout: opts.timeoutMs ?? 5_000 },
    ),
  );
}

/** Runs `write` (the DB half; it returns what to answer and what the audit row records) as a task. */
export async function changeVmSpec<T>(
  ctx: SpecChangeCtx,
  kind: SpecChangeKind,
  write: (tx: Tx) => Promise<{ result: T; detail: Prisma.InputJsonValue }>,
  opts: { timeoutMs?: number } = {},
): Promise<T> {
  return journaledVmChange(
    ctx,
    kind,
    undefined,
    async (tx, host) => {
      const written = await write(tx);
      await host.vm.update.mutate({ id: ctx.vm.id, spec: await specForVm(tx, ctx.vm.id) });
      return written;
    },
    opts,
  );
}

/** Settles a spec change cut short: the host gets the DB's spec; the audit row says which way it went. */
export async function settleSpecChange(
  db: Db,
  host: HostClient,
  task: { id: string; vmId: string | null },
): Promise<{ state: "succeeded" | "failed"; line: string; error?: string }> {
  const vm = task.vmId ? await db.vm.findUnique({ where: { id: task.vmId }, select: { id: true } }) : null;
  const committed = (await db.auditEvent.count({ where: { taskId: task.id } })) > 0;
  if (vm) await host.vm.update.mutate({ id: vm.id, spec: await specForVm(db, vm.id) });
  if (committed && vm) return { state: "succeeded", line: "finished after an interruption: the host now has the changed spec" };
  const what = vm ? "the change had not been recorded, so the host has the VM's previous spec again" : "the VM is gone";
  return { state: "failed", line: `interrupted: ${what}`, error: `Interrupted (the console or the host stopped half-way): ${what}` };
}
