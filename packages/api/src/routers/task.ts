// The Tasks panel: recent operations with their progress, log and outcome, live. A person sees the
// tasks they started and those on VMs they may view; holders of audit.view see every task.
import { tracked, TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma } from "@guesthouse/db";
import { can, visibleVmFilter, type Access } from "../authz.ts";
import { taskBus } from "../task-bus.ts";
import { taskSelect } from "../tasks.ts";
import { protectedProcedure, router } from "../trpc.ts";

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

export const taskRouter = router({
  list: protectedProcedure.input(TaskListInput).query(({ ctx, input }) =>
    ctx.db.task.findMany({
      where: {
        AND: [
          visibleTasks(ctx.access, ctx.user.id),
          input.vmId ? { vmId: input.vmId } : {},
          input.state !== "any" ? { state: input.state } : {},
          input.mine ? { actorId: ctx.user.id } : {},
        ],
      },
      select: taskSelect,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: input.limit,
    }),
  ),

  get: protectedProcedure.input(z.object({ id: z.string().min(1).max(64) })).query(async ({ ctx, input }) => {
    const task = await ctx.db.task.findUnique({ where: { id: input.id }, select: { ...taskSelect, actorId: true } });
    if (!task || !mayView(ctx.access, ctx.user.id, task)) throw new TRPCError({ code: "NOT_FOUND", message: "No such task" });
    return task;
  }),

  /** Each change of a task the subscriber may see, as the task's current row. */
  events: protectedProcedure.subscription(async function* ({ ctx, signal }) {
    for await (const { taskId } of taskBus.listen(signal)) {
      const task = await ctx.db.task.findUnique({ where: { id: taskId }, select: { ...taskSelect, actorId: true } });
      if (task && mayView(ctx.access, ctx.user.id, task)) {
        const { actorId: _actorId, ...shown } = task;
        yield tracked(`${taskId}:${Date.now()}`, shown);
      }
    }
  }),
});
