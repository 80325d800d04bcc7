// The Tasks panel: recent operations with their progress, log and outcome, live. A person sees the
// tasks they started and those on VMs they may view; holders of audit.view see every task.
import { tracked, TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma } from "@guesthouse/db";
import { can, visibleVmFilter, type Access } from "../authz.ts";
import { taskBus } from "../task-bus.ts";
import { taskSelect } from "../tasks.ts";
import { deny, protectedProcedure, router } from "../trpc.ts";
import { audit } from "../audit.ts";
import { watchLive } from "../live-access.ts";
import { CANCELLABLE, cancelRequestedBy, cancelTarget, requestCancel } from "../task-cancel.ts";

export const TaskListInput = z.object({
  vmId: z.string().max(64).optional(),
  state: z.enum(["any", "running", "succeeded", "failed", "cancelled"]).default("any"),
  mine: z.boolean().default(false),
  limit: z.number().int().min(1).max(200).default(30),
});

function visibleTasks(access: Access, userId: string): Prisma.TaskWhereInput {
  if (can(access, "audit.view")) return {};
  const vms = visibleVmFilter(access);
  return { OR: [{ actorId: userId }, ...(vms.id ? [{ vmId: vms.id }] : [{ vmId: { not: null } }])] };
}

function mayView(access: Access, userId: string, task: { actorId: string | null; vmId: string | null }): boolean {
  return can(access, "audit.view") || task.actorId === userId || (task.vmId !== null && can(access, "vm.view", task.vmId));
}

/** A task as people see it: without its reconciliation input, with whether it can be cancelled now. */
function shown<T extends { kind: string; vmId: string | null; state: string; input: Prisma.JsonValue }>(row: T) {
  const { input, ...rest } = row;
  const running = row.state === "running" || row.state === "queued";
  return { ...rest, cancellable: running && cancelTarget(row) !== undefined && !cancelRequestedBy(input) };
}

export const taskRouter = router({
  list: protectedProcedure.input(TaskListInput).query(async ({ ctx, input }) =>
    (
      await ctx.db.task.findMany({
        where: {
          AND: [
            visibleTasks(ctx.access, ctx.user.id),
            input.vmId ? { vmId: input.vmId } : {},
            input.state !== "any" ? { state: input.state } : {},
            input.mine ? { actorId: ctx.user.id } : {},
          ],
        },
        select: { ...taskSelect, input: true },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: input.limit,
      })
    ).map(shown),
  ),

  get: protectedProcedure.input(z.object({ id: z.string().min(1).max(64) })).query(async ({ ctx, input }) => {
    const task = await ctx.db.task.findUnique({ where: { id: input.id }, select: { ...taskSelect, actorId: true, input: true } });
    if (!task || !mayView(ctx.access, ctx.user.id, task)) throw new TRPCError({ code: "NOT_FOUND", message: "No such task" });
    const { actorId: _actorId, ...rest } = task;
    return shown(rest);
  }),

  /**
   * Stops a running state save, full clone, disk import, template capture, move, evacuation or upload. It takes the permission the
   * task's own operation needs, on its VM; the host removes what it had begun and the task ends `cancelled`.
   */
  cancel: protectedProcedure.input(z.object({ id: z.string().min(1).max(64) })).mutation(async ({ ctx, input, path }) => {
    const task = await ctx.db.task.findUnique({
      where: { id: input.id },
      select: { id: true, kind: true, vmId: true, vmName: true, hostId: true, input: true, state: true, actorId: true },
    });
    if (!task || !mayView(ctx.access, ctx.user.id, task)) {
      // Whoever could not see it is told they may not cancel it, as a VM procedure would.
      if (task?.vmId && CANCELLABLE[task.kind]) await deny(ctx, path, CANCELLABLE[task.kind]!.permission, task.vmId);
      throw new TRPCError({ code: "NOT_FOUND", message: "id: no such task" });
    }
    const rule = CANCELLABLE[task.kind];
    if (!rule)
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `id: a ${task.kind} task cannot be cancelled (state saves, full clones, disk imports, template captures, moves, evacuations and uploads can)`,
      });
    if (!can(ctx.access, rule.permission, task.vmId ?? undefined))
      await deny(ctx, path, rule.permission, task.vmId ?? undefined, task.vmName || undefined);
    if (task.state !== "running" && task.state !== "queued")
      throw new TRPCError({ code: "CONFLICT", message: `This task has already ended (${task.state})` });
    if (!rule.hostOpId(task))
      throw new TRPCError({ code: "CONFLICT", message: "This task has no long copy under way to stop; it cannot be cancelled" });
    const cancelled = await requestCancel(ctx.db, ctx.hosts, task, ctx.user.email);
    await audit(ctx.db, {
      actorId: ctx.user.id,
      actorName: ctx.user.email,
      action: path,
      vmId: task.vmId,
      vmName: task.vmName,
      outcome: cancelled ? "success" : "failure",
      detail: { kind: task.kind, ...(cancelled ? {} : { error: "the host had nothing under way to stop" }) },
      ip: ctx.ip,
      taskId: task.id,
    });
    if (!cancelled)
      throw new TRPCError({
        code: "CONFLICT",
        message: "The host had already finished this step (or this console is not the one running it); it can no longer be cancelled",
      });
    return { ok: true as const };
  }),

  /** Each change of a task the subscriber may see, as the task's current row. */
  events: protectedProcedure.subscription(async function* ({ ctx, signal }) {
    const live = await watchLive(ctx, signal);
    try {
      for await (const { taskId } of taskBus.listen(live.signal)) {
        const task = await ctx.db.task.findUnique({ where: { id: taskId }, select: { ...taskSelect, actorId: true, input: true } });
        if (task && mayView(live.hold.access ?? ctx.access, ctx.user.id, task)) {
          const { actorId: _actorId, ...rest } = task;
          yield tracked(`${taskId}:${Date.now()}`, shown(rest));
        }
      }
    } catch (err) {
      if (!live.ended) throw err;
    } finally {
      live.close();
    }
    live.throwIfEnded();
  }),
});
