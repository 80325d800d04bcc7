// Hardware settings change only while the VM is stopped; the host gets the new spec in the same step.
import { VmSettingsInput } from "@guesthouse/shared/console-api";
import { audit } from "../audit.ts";
import { vmOperationProcedure } from "../trpc.ts";
import { specForVm } from "../vm-spec.ts";

export const vmSettings = {
  update: vmOperationProcedure("update")
    .input(VmSettingsInput)
    .mutation(async ({ ctx, input }) => {
      const { vmId: _vmId, cpuModel, ...rest } = input as typeof input & { vmId: string };
      const data = { ...rest, cpuModel: cpuModel === "auto" ? null : cpuModel };
      const before = await ctx.db.vm.findUniqueOrThrow({
        where: { id: ctx.vm.id },
        select: { profile: true, cpuModel: true, cpus: true, memoryMiB: true, bootOrder: true, mediaId: true, clipboard: true },
      });
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      await ctx.db.$transaction(async (tx) => {
        await tx.vm.update({ where: { id: ctx.vm.id }, data });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "vm.update",
          vmId: ctx.vm.id,
          vmName: ctx.vm.name,
          outcome: "success",
          detail: { before, after: data },
          ip: ctx.ip,
        });
        // Inside the transaction: if the host refuses (e.g. RAM over capacity), nothing changes.
        await host.vm.update.mutate({ id: ctx.vm.id, spec: await specForVm(tx, ctx.vm.id) });
      });
      return { ok: true as const };
    }),
};
