import { AuditListInput } from "@guesthouse/shared/console-api";
import { can } from "../authz.ts";
import { permissionProcedure, router, vmProcedure } from "../trpc.ts";
import { z } from "zod";

const auditSelect = {
  id: true,
  at: true,
  actorName: true,
  action: true,
  vmId: true,
  vmName: true,
  outcome: true,
  detail: true,
  ip: true,
  taskId: true,
} as const;

export const auditRouter = router({
  list: permissionProcedure("audit.view")
    .input(AuditListInput)
    .query(async ({ ctx, input }) => {
      const rows = await ctx.db.auditEvent.findMany({
        where: {
          ...(input.actor ? { actorName: { contains: input.actor, mode: "insensitive" } } : {}),
          ...(input.vmId ? { vmId: input.vmId } : {}),
          ...(input.action ? { action: { startsWith: input.action } } : {}),
          ...(input.outcome ? { outcome: input.outcome } : {}),
          ...(input.from || input.to ? { at: { gte: input.from, lte: input.to } } : {}),
        },
        select: auditSelect,
        orderBy: [{ at: "desc" }, { id: "desc" }],
        take: input.limit + 1,
        ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
      });
      const more = rows.length > input.limit;
      const items = more ? rows.slice(0, input.limit) : rows;
      return { items, nextCursor: more ? items[items.length - 1]?.id : undefined };
    }),

  /**
   * A VM's own activity, for whoever may see that VM. Addresses and details are the audit log's
   * (audit.view); others see what happened and when, and who did it only where it was themselves.
   */
  forVm: vmProcedure("vm.view")
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.db.auditEvent.findMany({
        where: { vmId: ctx.vm.id },
        select: { ...auditSelect, actorId: true },
        orderBy: { at: "desc" },
        take: input.limit,
      });
      const auditor = can(ctx.access, "audit.view");
      return rows.map(({ actorId, ...row }) =>
        auditor
          ? row
          : {
              ...row,
              actorName: actorId === ctx.user.id || !row.actorName ? row.actorName : "another user",
              ip: null,
              detail: null,
            },
      );
    }),
});
