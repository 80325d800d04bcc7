// Undo disks (Virtual Server's feature): the VM runs on an overlay; at power-off the changes are
// kept, committed into the base, or discarded — chosen each time, or by the VM's default policy.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { vmOperationProcedure, vmProcedure } from "../trpc.ts";
import { undoTask } from "../undo-policy.ts";
import { changeVmSpec } from "../vm-spec-change.ts";

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
      return changeVmSpec(ctx, "vm.setUndo", async (tx) => {
        await tx.disk.updateMany({ where: { vmId: ctx.vm.id }, data: { undoEnabled: input.enabled } });
        await tx.vm.update({ where: { id: ctx.vm.id }, data: { undoPolicy: input.policy } });
        return { result: { ok: true as const }, detail: input };
      });
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
  await undoTask(ctx.db, await ctx.hosts.forHost(ctx.vm.hostId), {
    vm: ctx.vm,
    actor: ctx.user,
    ip: ctx.ip,
    action,
    diskIds: disks.map((d) => d.id),
  });
}
