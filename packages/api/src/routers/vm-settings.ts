// Hardware settings change only while the VM is stopped (the operations table says so); the host
// gets the new spec in the same journaled step (vm-spec-change.ts).
import { VmAutostartInput, VmSettingsInput } from "@guesthouse/shared/console-api";
import { audit } from "../audit.ts";
import { vmOperationProcedure, vmProcedure } from "../trpc.ts";
import { changeVmSpec } from "../vm-spec-change.ts";

export const vmSettings = {
  update: vmOperationProcedure("update")
    .input(VmSettingsInput)
    .mutation(async ({ ctx, input }) => {
      const { vmId: _vmId, cpuModel, ...rest } = input as typeof input & { vmId: string };
      const data = { ...rest, cpuModel: cpuModel === "auto" ? null : cpuModel };
      return changeVmSpec(ctx, "vm.update", async (tx) => {
        const before = await tx.vm.findUniqueOrThrow({
          where: { id: ctx.vm.id },
          select: { profile: true, cpuModel: true, cpus: true, memoryMiB: true, bootOrder: true, mediaId: true, clipboard: true },
        });
        await tx.vm.update({ where: { id: ctx.vm.id }, data });
        return { result: { ok: true as const }, detail: { before, after: data } };
      });
    }),

  /** Start at boot and its order: the console's own record (the host is not told), in any power state. */
  setAutostart: vmProcedure("vm.config")
    .input(VmAutostartInput)
    .mutation(async ({ ctx, input }) => {
      const data = { autostart: input.autostart, startOrder: input.startOrder };
      await ctx.db.$transaction(async (tx) => {
        await tx.vm.update({ where: { id: ctx.vm.id }, data });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "vm.setAutostart",
          vmId: ctx.vm.id,
          vmName: ctx.vm.name,
          outcome: "success",
          detail: data,
          ip: ctx.ip,
        });
      });
      return { ok: true as const };
    }),
};
