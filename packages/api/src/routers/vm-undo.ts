// Undo disks (Virtual Server's feature): the VM runs on an overlay; at power-off the changes are
// kept, committed into the base, or discarded — chosen each time, or by the VM's default policy.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audit } from "../audit.ts";
import { vmOperationProcedure, vmProcedure } from "../trpc.ts";
import { specForVm } from "../vm-spec.ts";

export const UNDO_ACTIONS = ["keep", "commit", "discard"] as const;

export const vmUndo = {
  /** Whether the VM runs on undo disks, its policy, and whether changes wait for a choice. */
  undoStatus: vmProcedure("vm.view").query(async ({ ctx }) => {
    const vm = await ctx.db.vm.findUniqueOrThrow({
      where: { id: ctx.vm.id },
      select: { undoPolicy: true, disks: { where: { undoEnabled: true }, select: { id: true } } },
    });
    if (!vm.disks.length) return { enabled: false, policy: vm.undoPolicy, pending: false };
    const host = await ctx.hosts.forHost(ctx.vm.hostId);
    const infos = await Promise.all(vm.disks.map((d) => host.disk.info.query({ id: d.id })));
    return { enabled: true, policy: vm.undoPolicy, pending: infos.some((i) => i.undoPending) };
  }),

  setUndo: vmOperationProcedure("setUndo")
    .input(z.object({ enabled: z.boolean(), policy: z.enum(["ask", ...UNDO_ACTIONS]) }))
    .mutation(async ({ ctx, input }) => {
      const disks = await ctx.db.disk.count({ where: { vmId: ctx.vm.id } });
      if (input.enabled && disks === 0)
        throw new TRPCError({ code: "BAD_REQUEST", message: `VM '${ctx.vm.name}' has no disk to protect with an undo disk` });
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      await ctx.db.$transaction(async (tx) => {
        await tx.disk.updateMany({ where: { vmId: ctx.vm.id }, data: { undoEnabled: input.enabled } });
        await tx.vm.update({ where: { id: ctx.vm.id }, data: { undoPolicy: input.policy } });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "vm.setUndo",
          vmId: ctx.vm.id,
          vmName: ctx.vm.name,
          outcome: "success",
          detail: input,
          ip: ctx.ip,
        });
        await host.vm.update.mutate({ id: ctx.vm.id, spec: await specForVm(tx, ctx.vm.id) });
      });
      return { ok: true as const };
    }),

  /** Keep, commit or discard what the VM wrote to its undo disks since the last choice. */
  undo: vmOperationProcedure("undo")
    .input(z.object({ action: z.enum(UNDO_ACTIONS) }))
    .mutation(async ({ ctx, input }) => {
      await applyUndo(ctx, input.action);
      return { ok: true as const };
    }),
};

type Ctx = Parameters<Parameters<ReturnType<typeof vmProcedure>["mutation"]>[0]>[0]["ctx"];

export async function applyUndo(ctx: Ctx, action: (typeof UNDO_ACTIONS)[number]): Promise<void> {
  const disks = await ctx.db.disk.findMany({ where: { vmId: ctx.vm.id, undoEnabled: true }, select: { id: true } });
  if (!disks.length) throw new TRPCError({ code: "BAD_REQUEST", message: `VM '${ctx.vm.name}' has no undo disk` });
  const host = await ctx.hosts.forHost(ctx.vm.hostId);
  for (const d of disks) await host.disk.undo.mutate({ id: ctx.vm.id, disk: d.id, action });
  await audit(ctx.db, {
    actorId: ctx.user.id,
    actorName: ctx.user.email,
    action: `vm.undo.${action}`,
    vmId: ctx.vm.id,
    vmName: ctx.vm.name,
    outcome: "success",
    ip: ctx.ip,
  });
}
