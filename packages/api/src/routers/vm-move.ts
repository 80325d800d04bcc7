// Moving a VM to another host (ADR 0044): live while it runs, cold while stopped; a move under way
// can be cancelled (the guest keeps running at the source). Which hosts could take it, and why the
// others cannot, is `vm.moveTargets` (the VM page's "Move…" dialog).
import { z } from "zod";
import { PLACEMENT_HOST_SELECT } from "../placement.ts";
import { vmOperationProcedure, vmProcedure } from "../trpc.ts";
import { cancelMove, moveVm } from "../vm-move.ts";
import { planMove } from "../vm-move-plan.ts";

export const VmMigrateInput = z.object({
  targetHostId: z.string().min(1).max(64),
  /** Bytes per second for RAM and each disk; absent: as fast as the link goes. */
  maxBandwidth: z
    .int()
    .min(64 * 1024, "maxBandwidth: at least 64 KiB/s")
    .max(10 * 1024 ** 3)
    .optional(),
});

export const vmMove = {
  migrate: vmOperationProcedure("migrate")
    .input(VmMigrateInput)
    .mutation(({ ctx, input }) => moveVm(ctx, input)),

  migrateCancel: vmProcedure("vm.migrate").mutation(({ ctx }) => cancelMove(ctx.db, ctx.hosts, ctx.vm, ctx.user.email)),

  /** Every other host, with whether the VM could move there now and, if not, why. */
  moveTargets: vmProcedure("vm.migrate").query(async ({ ctx }) => {
    const hosts = await ctx.db.host.findMany({
      where: { id: { not: ctx.vm.hostId } },
      select: PLACEMENT_HOST_SELECT,
      orderBy: { name: "asc" },
    });
    return Promise.all(
      hosts.map(async (h) => {
        const why = await planMove(ctx.db, ctx.vm, h.id).then(
          () => null,
          (err: Error) => err.message,
        );
        return { hostId: h.id, hostName: h.name, ok: why === null, reason: why ?? "" };
      }),
    );
  }),
};
