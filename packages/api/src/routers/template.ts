// Templates captured from VMs, and clones made from them (instant from RAM state, linked, full).
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { TemplateCloneInput, VmNameSchema } from "@guesthouse/shared/console-api";
import { audit } from "../audit.ts";
import { can, type Access } from "../authz.ts";
import { recordCapture, recordClone } from "../template-record.ts";
import { runTask } from "../tasks.ts";
import { withHostProgress } from "../host-progress.ts";
import { createId } from "../ids.ts";
import { permissionProcedure, router, vmOperationProcedure } from "../trpc.ts";

/**
 * Who may delete a template: whoever made it, or a holder of vm.delete everywhere. A template made
 * with fromVm consumed its source VM, so deleting one is deleting a VM's disks and RAM state.
 */
function mayDeleteTemplate(ctx: { access: Access; user: { id: string } }, createdById: string | null): boolean {
  return can(ctx.access, "vm.delete") || (createdById !== null && createdById === ctx.user.id);
}

export const templateRouter = router({
  list: permissionProcedure("vm.create").query(async ({ ctx }) => {
    const rows = await ctx.db.template.findMany({
      select: {
        id: true,
        name: true,
        description: true,
        osLabel: true,
        onHost: true,
        withRam: true,
        memoryMiB: true,
        createdAt: true,
        createdById: true,
        clones: { select: { id: true, name: true } },
      },
      orderBy: { name: "asc" },
    });
    // Clones are named only where the caller may see them; the rest are a count.
    return rows.map(({ clones, createdById, ...t }) => {
      const visible = clones.filter((c) => can(ctx.access, "vm.view", c.id));
      return { ...t, clones: visible, otherClones: clones.length - visible.length, deletable: mayDeleteTemplate(ctx, createdById) };
    });
  }),

  /** Turns a VM into a read-only template (with its RAM state when it is running); the VM is consumed. */
  fromVm: vmOperationProcedure("makeTemplate")
    .input(z.object({ name: VmNameSchema }))
    .mutation(async ({ ctx, input }) => {
      if (await ctx.db.template.findUnique({ where: { name: input.name }, select: { id: true } }))
        throw new TRPCError({ code: "CONFLICT", message: `A template named '${input.name}' already exists` });
      const id = `t${createId().slice(1)}`;
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      const actor = { id: ctx.user.id, email: ctx.user.email, ip: ctx.ip };
      return runTask(
        ctx.db,
        { kind: "template.capture", vm: ctx.vm, actor: ctx.user, input: { templateId: id, name: input.name } },
        async (task) => {
          await task.progress(10, ctx.vm.state === "stopped" ? "moving the disks into the template" : "saving the RAM state and the disks");
          // The host's figures for what it copies (the RAM state, linked clones' disks flattened); a cancel stops the copy.
          const tpl = await withHostProgress(task, host, ctx.vm.id, host.template.create.mutate({ id, fromVm: ctx.vm.id }));
          await task.progress(90, "recording the template");
          await recordCapture(ctx.db, {
            templateId: id,
            name: input.name,
            vm: ctx.vm,
            withRam: tpl.withRam,
            actor: { ...actor, taskId: task.id },
          });
          return { id, withRam: tpl.withRam };
        },
      );
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
      const input2 = { vmId: id, templateId: tpl.id, name: input.name, mode: input.mode };
      return runTask(ctx.db, { kind: "template.clone", hostId: tpl.hostId, actor: ctx.user, input: input2 }, async (task) => {
        await task.progress(10, `${input.mode} clone of '${tpl.name}'`);
        const cloning = host.template.clone.mutate({ templateId: tpl.id, id, name: input.name, mode: input.mode });
        // A full clone copies every disk: the host's qemu-img says how far it got.
        const view = input.mode === "full" ? await withHostProgress(task, host, id, cloning) : await cloning;
        await task.progress(90, "recording the new VM");
        await recordClone(ctx.db, { tpl, view, ...input2, actor: { id: ctx.user.id, email: ctx.user.email, ip: ctx.ip, taskId: task.id } });
        return { id, state: view.state };
      });
    }),

  delete: permissionProcedure("vm.create")
    .input(z.object({ templateId: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const tpl = await ctx.db.template.findUnique({
        where: { id: input.templateId },
        select: { name: true, onHost: true, hostId: true, createdById: true, clones: { select: { id: true, name: true } } },
      });
      if (!tpl) throw new TRPCError({ code: "NOT_FOUND", message: "That template no longer exists" });
      if (!mayDeleteTemplate(ctx, tpl.createdById)) {
        await audit(ctx.db, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "template.delete",
          outcome: "denied",
          detail: { name: tpl.name, missing: "vm.delete" },
          ip: ctx.ip,
        });
        throw new TRPCError({
          code: "FORBIDDEN",
          message: `Only the template's creator or a holder of 'vm.delete' on every VM may delete template '${tpl.name}'`,
        });
      }
      if (tpl.clones.length) {
        const named = tpl.clones.filter((c) => can(ctx.access, "vm.view", c.id)).map((c) => `'${c.name}'`);
        const hidden = tpl.clones.length - named.length;
        if (hidden) named.push(`${hidden} VM${hidden > 1 ? "s" : ""} you cannot see`);
        throw new TRPCError({ code: "CONFLICT", message: `Template '${tpl.name}' is used by ${named.join(", ")}: delete those VMs first` });
      }
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
