// Templates captured from VMs, and clones made from them (instant from RAM state, linked, full).
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { TemplateCloneInput, VmNameSchema } from "@guesthouse/shared/console-api";
import { audit } from "../audit.ts";
import { createId } from "../ids.ts";
import { permissionProcedure, router, vmOperationProcedure } from "../trpc.ts";
import { vmBus } from "../vm-bus.ts";
import type { PowerState } from "../vm-state.ts";

export const templateRouter = router({
  list: permissionProcedure("vm.create").query(({ ctx }) =>
    ctx.db.template.findMany({
      select: {
        id: true,
        name: true,
        description: true,
        osLabel: true,
        onHost: true,
        withRam: true,
        memoryMiB: true,
        createdAt: true,
        clones: { select: { id: true, name: true } },
      },
      orderBy: { name: "asc" },
    }),
  ),

  /** Turns a VM into a read-only template (with its RAM state when it is running); the VM is consumed. */
  fromVm: vmOperationProcedure("makeTemplate")
    .input(z.object({ name: VmNameSchema }))
    .mutation(async ({ ctx, input }) => {
      if (await ctx.db.template.findUnique({ where: { name: input.name }, select: { id: true } }))
        throw new TRPCError({ code: "CONFLICT", message: `A template named '${input.name}' already exists` });
      const vm = await ctx.db.vm.findUniqueOrThrow({
        where: { id: ctx.vm.id },
        select: { profile: true, cpus: true, memoryMiB: true, osLabel: true, kernelBoot: true, mediaId: true },
      });
      const id = `t${createId().slice(1)}`;
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      const tpl = await host.template.create.mutate({ id, fromVm: ctx.vm.id });
      await ctx.db.$transaction(async (tx) => {
        await tx.template.create({
          data: {
            id,
            name: input.name,
            hostId: ctx.vm.hostId,
            onHost: true,
            withRam: tpl.withRam,
            profile: vm.profile,
            cpus: vm.cpus,
            memoryMiB: vm.memoryMiB,
            osLabel: vm.osLabel,
            kernelBoot: vm.kernelBoot ?? undefined,
            mediaId: vm.mediaId,
          },
        });
        await tx.vm.delete({ where: { id: ctx.vm.id } });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "template.create",
          vmName: ctx.vm.name,
          outcome: "success",
          detail: { template: input.name, withRam: tpl.withRam },
          ip: ctx.ip,
        });
      });
      vmBus.publish({ type: "deleted", vmId: ctx.vm.id, at: Date.now() });
      return { id, withRam: tpl.withRam };
    }),

  clone: permissionProcedure("vm.create")
    .input(TemplateCloneInput)
    .mutation(async ({ ctx, input }) => {
      const tpl = await ctx.db.template.findUnique({ where: { id: input.templateId } });
      if (!tpl?.onHost)
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "Only templates captured from a VM can be cloned; start from the others with 'New VM'",
        });
      if (input.mode === "instant" && !tpl.withRam)
        throw new TRPCError({ code: "BAD_REQUEST", message: `Template '${tpl.name}' has no saved RAM state: use a linked or full clone` });
      if (await ctx.db.vm.findUnique({ where: { name: input.name }, select: { id: true } }))
        throw new TRPCError({ code: "CONFLICT", message: `A VM named '${input.name}' already exists` });
      const id = createId();
      const host = await ctx.hosts.forHost(tpl.hostId);
      const view = await host.template.clone.mutate({ templateId: tpl.id, id, name: input.name, mode: input.mode });
      await ctx.db.$transaction(async (tx) => {
        await tx.vm.create({
          data: {
            id,
            name: input.name,
            hostId: tpl.hostId,
            ownerId: ctx.user.id,
            profile: tpl.profile,
            cpus: tpl.cpus,
            memoryMiB: tpl.memoryMiB,
            osLabel: tpl.osLabel,
            kernelBoot: tpl.kernelBoot ?? undefined,
            mediaId: tpl.mediaId,
            cpuModel: view.spec.cpuModel ?? null,
            templateId: input.mode === "full" ? null : tpl.id,
            state: view.state as PowerState,
            stateReason: view.reason,
            stateVersion: BigInt(view.stateVersion),
            disks: { create: view.spec.disks.map((d, slot) => ({ id: d.disk, slot, path: `disk:${d.disk}`, sizeBytes: 0n })) },
          },
        });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "template.clone",
          vmId: id,
          vmName: input.name,
          outcome: "success",
          detail: { template: tpl.name, mode: input.mode },
          ip: ctx.ip,
        });
      });
      vmBus.publish({ type: "created", vmId: id, at: Date.now() });
      return { id, state: view.state };
    }),

  delete: permissionProcedure("vm.create")
    .input(z.object({ templateId: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const tpl = await ctx.db.template.findUnique({
        where: { id: input.templateId },
        select: { name: true, onHost: true, hostId: true, clones: { select: { name: true } } },
      });
      if (!tpl) throw new TRPCError({ code: "NOT_FOUND", message: "That template no longer exists" });
      if (tpl.clones.length)
        throw new TRPCError({
          code: "CONFLICT",
          message: `Template '${tpl.name}' is used by ${tpl.clones.map((c) => `'${c.name}'`).join(", ")}: delete those VMs first`,
        });
      if (tpl.onHost) await (await ctx.hosts.forHost(tpl.hostId)).template.delete.mutate({ id: input.templateId });
      await ctx.db.$transaction(async (tx) => {
        await tx.template.delete({ where: { id: input.templateId } });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "template.delete",
          outcome: "success",
          detail: { name: tpl.name },
          ip: ctx.ip,
        });
      });
      return { ok: true as const };
    }),
});
