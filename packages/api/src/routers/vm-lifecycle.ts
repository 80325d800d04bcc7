// Creating and deleting VMs: the DB row and the host's definition change together, or neither does.
import { TRPCError } from "@trpc/server";
import { createId } from "../ids.ts";
import { VmCreateInput, VmDeleteOptions } from "@guesthouse/shared/console-api";
import { cpuModelRefusal, defaultCpuModel } from "@guesthouse/shared/cpu-models";
import type { KernelBoot } from "@guesthouse/shared/vm";
import { audit } from "../audit.ts";
import { canOnNetwork } from "../authz.ts";
import { permissionProcedure, vmProcedure } from "../trpc.ts";
import { specForVm } from "../vm-spec.ts";
import { nicRows } from "../nic-record.ts";
import { vmBus } from "../vm-bus.ts";
import { placeVm } from "../placement.ts";
import { runTask } from "../tasks.ts";
import { displayViewers } from "../display/viewers.ts";
import { withHostProgress } from "../host-progress.ts";
import { imageToImport } from "../disk-import.ts";

/** States with no QEMU process: the host deletes a VM only in these. */
const AT_REST = ["stopped", "suspended"];

function watching(viewers: { userEmail: string }[]): string {
  const who = [...new Set(viewers.map((v) => v.userEmail))].join(", ");
  return `${viewers.length} ${viewers.length === 1 ? "person is" : "people are"} watching its console (${who})`;
}

function disconnectViewers(vmId: string, reason: string) {
  for (const { id } of displayViewers.forVm(vmId)) displayViewers.get(id)?.disconnect(reason);
}

export const vmLifecycle = {
  create: permissionProcedure("vm.create")
    .input(VmCreateInput)
    .mutation(async ({ ctx, input }) => {
      if (await ctx.db.vm.findUnique({ where: { name: input.name }, select: { id: true } })) {
        throw new TRPCError({ code: "CONFLICT", message: `A VM named '${input.name}' already exists` });
      }
      let kernelBoot: KernelBoot | undefined;
      let mediaId: string | undefined;
      let osLabel = "";
      let templateId: string | undefined;
      let image: { name: string; path: string; hostId: string } | undefined;
      if (input.source.kind === "template") {
        const tpl = await ctx.db.template.findUnique({ where: { id: input.source.templateId } });
        if (!tpl) throw new TRPCError({ code: "BAD_REQUEST", message: "That template no longer exists" });
        // Its disks and RAM state are on its host: a VM made here would have neither.
        if (tpl.onHost)
          throw new TRPCError({
            code: "BAD_REQUEST",
            message: `Template '${tpl.name}' was captured from a VM: make a VM from it with Clone on the Templates page`,
          });
        kernelBoot = (tpl.kernelBoot as KernelBoot | null) ?? undefined;
        mediaId = tpl.mediaId ?? undefined;
        osLabel = tpl.osLabel;
        templateId = tpl.id;
      } else if (input.source.kind === "iso") {
        const media = await ctx.db.media.findUnique({ where: { id: input.source.mediaId }, select: { id: true, name: true } });
        if (!media) throw new TRPCError({ code: "BAD_REQUEST", message: "That ISO is not in the library" });
        mediaId = media.id;
        osLabel = media.name;
      } else if (input.source.kind === "image") {
        image = await imageToImport(ctx.db, input.source.mediaId, input.hostId);
        osLabel = image.name;
      }
      const { hostId } = await placeVm(ctx.db, {
        memoryMiB: input.memoryMiB,
        cpus: input.cpus,
        cpuModel: input.cpuModel,
        networkIds: (input.nics ?? []).map((n) => n.networkId),
        // The image is on one host: the VM goes there.
        hostId: input.hostId ?? image?.hostId,
      });
      const host = await ctx.hosts.forHost(hostId);
      const info = await host.host.info.query();
      if (input.memoryMiB * 1024 * 1024 > info.memTotalBytes) {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `${input.memoryMiB} MiB of RAM is more than the host has (${Math.floor(info.memTotalBytes / 1048576)} MiB)`,
        });
      }
      // Fixed now, on the host it is made for, until the user changes it (a baseline must not drift).
      const cpuModel = input.cpuModel === "auto" ? defaultCpuModel(input.profile, info.cpu) : input.cpuModel;
      const refusal = cpuModelRefusal(cpuModel, input.profile, info.cpu);
      if (refusal) throw new TRPCError({ code: "BAD_REQUEST", message: `cpuModel: ${refusal}` });
      const id = createId();
      const diskId = input.diskGiB > 0 || image ? `${id}-d0` : null;
      const taskInput = { vmId: id, diskId, ...(image ? { importing: image.name } : {}) };
      const spec = { kind: "vm.create", vm: { id, name: input.name, hostId }, actor: ctx.user, input: taskInput };
      return runTask(ctx.db, spec, async (task) => {
        let diskBytes = Math.round(input.diskGiB * 1024 ** 3);
        if (image && diskId) {
          // The long part: qemu-img's own figures (host-progress.ts); task.cancel stops it.
          await task.progress(10, `importing the disk image '${image.name}'`);
          const imported = host.disk.import.mutate({ id: diskId, source: image.path });
          diskBytes = (await withHostProgress(task, host, diskId, imported, [10, 55])).virtualSizeBytes;
        } else if (diskId) {
          await task.progress(10, `creating a ${input.diskGiB} GiB disk`);
          await host.disk.create.mutate({ id: diskId, sizeBytes: Math.round((input.diskGiB * 1024 ** 3) / 512) * 512 });
        }
        const base = {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "vm.create",
          vmName: input.name,
          ip: ctx.ip,
          taskId: task.id,
        };
        try {
          await ctx.db.$transaction(async (tx) => {
            await tx.vm.create({
              data: {
                id,
                name: input.name,
                hostId,
                ownerId: ctx.user.id,
                profile: input.profile,
                cpuModel,
                cpus: input.cpus,
                memoryMiB: input.memoryMiB,
                osLabel,
                mediaId,
                templateId,
                kernelBoot,
                bootOrder: diskId && !mediaId ? "disk" : mediaId ? "cdrom" : "disk",
                disks: diskId ? { create: { id: diskId, slot: 0, path: `disk:${diskId}`, sizeBytes: BigInt(diskBytes) } } : undefined,
              },
            });
            await audit(tx, {
              ...base,
              vmId: id,
              outcome: "success",
              detail: { source: input.source.kind, cpuModel, cpus: input.cpus, memoryMiB: input.memoryMiB },
            });
            // As Proxmox's wizard defaults to vmbr0: one NIC on the default network unless the user chose.
            const fallback = await tx.network.findFirst({ where: { isDefault: true, hostId }, select: { id: true } });
            const requests =
              input.nics ?? (fallback && canOnNetwork(ctx.access, "network.use", fallback.id) ? [{ networkId: fallback.id }] : []);
            const nics = await nicRows(tx, { vmId: id, profile: input.profile, access: ctx.access, requests, usedSlots: [] });
            if (nics.length) await tx.nic.createMany({ data: nics });
          });
          await task.progress(60, "defining it on its host");
          await host.vm.define.mutate({ id, spec: await specForVm(ctx.db, id) });
        } catch (error) {
          // Nothing half-made stays behind: undo the row and the disk.
          await ctx.db.vm.deleteMany({ where: { id } });
          if (diskId) await host.disk.delete.mutate({ id: diskId }).catch(() => undefined);
          await audit(ctx.db, { ...base, outcome: "failure", detail: { error: error instanceof Error ? error.message : String(error) } });
          throw error;
        }
        vmBus.publish({ type: "created", vmId: id, at: Date.now() });
        return { id };
      });
    }),

  delete: vmProcedure("vm.delete")
    .input(VmDeleteOptions)
    .mutation(async ({ ctx, input }) => {
      const running = !AT_REST.includes(ctx.vm.state);
      const viewers = displayViewers.forVm(ctx.vm.id);
      // Deleting a guest someone is using is refused with the reason, unless the caller insists.
      if (!input.force && running)
        throw new TRPCError({
          code: "CONFLICT",
          message: `VM '${ctx.vm.name}' is ${ctx.vm.state}: power it off first, or delete it with force`,
        });
      if (!input.force && viewers.length)
        throw new TRPCError({ code: "CONFLICT", message: `${watching(viewers)}: ask them to close it, or delete the VM with force` });
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      const diskIds = (await ctx.db.disk.findMany({ where: { vmId: ctx.vm.id }, select: { id: true } })).map((d) => d.id);
      return runTask(ctx.db, { kind: "vm.delete", vm: ctx.vm, actor: ctx.user, input: { force: input.force, diskIds } }, async (task) => {
        // Viewers first, so they read why their screen went, rather than a bare "disconnected".
        disconnectViewers(ctx.vm.id, `the VM was deleted by ${ctx.user.email}`);
        if (running) {
          await task.progress(10, "powering it off");
          await host.vm.powerOff.mutate({ id: ctx.vm.id });
        }
        await task.progress(40, "deleting it and its disks on its host");
        const { deletedDisks } = await host.vm.delete.mutate({ id: ctx.vm.id, deleteDisks: true });
        await task.progress(90, "removing it from the inventory");
        await ctx.db.$transaction(async (tx) => {
          await tx.vm.delete({ where: { id: ctx.vm.id } });
          await audit(tx, {
            actorId: ctx.user.id,
            actorName: ctx.user.email,
            action: "vm.delete",
            vmName: ctx.vm.name,
            outcome: "success",
            detail: { force: input.force, poweredOff: running, viewersDisconnected: viewers.length, deletedDisks },
            ip: ctx.ip,
            taskId: task.id,
          });
        });
        vmBus.publish({ type: "deleted", vmId: ctx.vm.id, at: Date.now() });
        return { ok: true as const };
      });
    }),
};
