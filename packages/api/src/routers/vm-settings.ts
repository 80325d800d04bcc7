// Hardware settings change only while the VM is stopped (the operations table says so); the host
// gets the new spec in the same journaled step (vm-spec-change.ts).
import { VmSettingsInput } from "@guesthouse/shared/console-api";
import { vmOperationProcedure } from "../trpc.ts";
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
};
