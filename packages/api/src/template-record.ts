// The console's half of template capture and cloning: written by the request once the host has
// done its half, or by reconciliation from the task's journal when the console died in between.
import type { Db, Prisma, Template } from "@guesthouse/db";
import { audit } from "./audit.ts";
import { vmBus } from "./vm-bus.ts";
import type { PowerState } from "./vm-state.ts";

type Actor = { id: string | null; email: string; ip?: string; taskId?: string };

/** The template row, and the VM it was made from gone (its disks and RAM now belong to the template). */
export async function recordCapture(
  db: Db,
  p: { templateId: string; name: string; vm: { id: string; name: string; hostId: string }; withRam: boolean; actor: Actor },
): Promise<void> {
  await db.$transaction(async (tx) => {
    if (await tx.template.findUnique({ where: { id: p.templateId }, select: { id: true } })) return;
    const vm = await tx.vm.findUniqueOrThrow({
      where: { id: p.vm.id },
      select: { profile: true, cpus: true, memoryMiB: true, osLabel: true, kernelBoot: true, mediaId: true },
    });
    await tx.template.create({
      data: {
        id: p.templateId,
        name: p.name,
        hostId: p.vm.hostId,
        onHost: true,
        withRam: p.withRam,
        profile: vm.profile,
        cpus: vm.cpus,
        memoryMiB: vm.memoryMiB,
        osLabel: vm.osLabel,
        kernelBoot: vm.kernelBoot ?? undefined,
        mediaId: vm.mediaId,
        createdById: p.actor.id,
      },
    });
    await tx.vm.delete({ where: { id: p.vm.id } });
    await audit(tx, {
      actorId: p.actor.id,
      actorName: p.actor.email,
      action: "template.create",
      vmName: p.vm.name,
      outcome: "success",
      detail: { template: p.name, withRam: p.withRam },
      ip: p.actor.ip,
      taskId: p.actor.taskId,
    });
  });
  vmBus.publish({ type: "deleted", vmId: p.vm.id, at: Date.now() });
}

interface HostView {
  state: string;
  reason: string;
  stateVersion: number;
  spec: {
    cpuModel?: string;
    disks: { disk: string }[];
    nics?: {
      slot: number;
      mac: string;
      model: string;
      linkUp: boolean;
      attach: { kind: "user" } | { kind: "network"; network: string; vlan?: number };
    }[];
  };
}

/**
 * The clone's NIC rows, with the fresh MACs its host drew: on the template's networks, or for a
 * user-mode NIC on the host's first user-mode network. A network deleted since the capture has none.
 */
async function cloneNicRows(tx: Prisma.TransactionClient, hostId: string, vmId: string, view: HostView) {
  const rows: Prisma.NicCreateManyInput[] = [];
  for (const n of view.spec.nics ?? []) {
    const network =
      n.attach.kind === "network"
        ? await tx.network.findUnique({ where: { id: n.attach.network }, select: { id: true } })
        : await tx.network.findFirst({ where: { hostId, kind: "user" }, orderBy: { name: "asc" }, select: { id: true } });
    if (!network) continue;
    const vlan = n.attach.kind === "network" ? (n.attach.vlan ?? null) : null;
    rows.push({ vmId, slot: n.slot, networkId: network.id, mac: n.mac, model: n.model, linkUp: n.linkUp, vlan });
  }
  return rows;
}

/** The new VM's row, as its host made it. */
export async function recordClone(
  db: Db,
  p: { tpl: Template; view: HostView; vmId: string; name: string; mode: "instant" | "linked" | "full"; actor: Actor },
): Promise<void> {
  await db.$transaction(async (tx) => {
    if (await tx.vm.findUnique({ where: { id: p.vmId }, select: { id: true } })) return;
    await tx.vm.create({
      data: {
        id: p.vmId,
        name: p.name,
        hostId: p.tpl.hostId,
        ownerId: p.actor.id,
        profile: p.tpl.profile,
        cpus: p.tpl.cpus,
        memoryMiB: p.tpl.memoryMiB,
        osLabel: p.tpl.osLabel,
        kernelBoot: p.tpl.kernelBoot ?? undefined,
        mediaId: p.tpl.mediaId,
        cpuModel: p.view.spec.cpuModel ?? null,
        templateId: p.mode === "full" ? null : p.tpl.id,
        state: p.view.state as PowerState,
        stateReason: p.view.reason,
        stateVersion: BigInt(p.view.stateVersion),
        disks: { create: p.view.spec.disks.map((d, slot) => ({ id: d.disk, slot, path: `disk:${d.disk}`, sizeBytes: 0n })) },
      },
    });
    const nics = await cloneNicRows(tx, p.tpl.hostId, p.vmId, p.view);
    if (nics.length) await tx.nic.createMany({ data: nics });
    await audit(tx, {
      actorId: p.actor.id,
      actorName: p.actor.email,
      action: "template.clone",
      vmId: p.vmId,
      vmName: p.name,
      outcome: "success",
      detail: { template: p.tpl.name, mode: p.mode },
      ip: p.actor.ip,
      taskId: p.actor.taskId,
    });
  });
  vmBus.publish({ type: "created", vmId: p.vmId, at: Date.now() });
}
