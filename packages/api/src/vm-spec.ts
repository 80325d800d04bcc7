// Turns a console VM row into the host's VM spec: the console is the source of truth for intent.
import type { Db } from "@guesthouse/db";
import type { VmSpecInput } from "@guesthouse/shared/vm";
import { CpuModelIdSchema } from "@guesthouse/shared/cpu-models";
import { KernelBootSchema } from "@guesthouse/shared/vm";
import { NicModelSchema } from "@guesthouse/shared/network";

export async function specForVm(db: Pick<Db, "vm">, vmId: string): Promise<VmSpecInput> {
  const vm = await db.vm.findUniqueOrThrow({
    where: { id: vmId },
    select: {
      name: true,
      profile: true,
      cpuModel: true,
      cpus: true,
      memoryMiB: true,
      bootOrder: true,
      clipboard: true,
      kernelBoot: true,
      media: { select: { path: true } },
      disks: { select: { id: true, slot: true, undoEnabled: true }, orderBy: { slot: "asc" } },
      nics: {
        select: { slot: true, mac: true, model: true, linkUp: true, vlan: true, network: { select: { id: true, kind: true } } },
        orderBy: { slot: "asc" },
      },
    },
  });
  const kernel = vm.kernelBoot ? KernelBootSchema.parse(vm.kernelBoot) : undefined;
  return {
    name: vm.name,
    profile: vm.profile,
    cpuModel: vm.cpuModel ? CpuModelIdSchema.parse(vm.cpuModel) : undefined,
    cpus: vm.cpus,
    memoryMiB: vm.memoryMiB,
    disks: vm.disks.map((d) => ({ disk: d.id, undo: d.undoEnabled })),
    cdrom: { iso: vm.media?.path },
    boot: vm.bootOrder === "cdrom" ? ["cdrom", "disk"] : ["disk", "cdrom"],
    kernel,
    network: "none",
    clipboard: vm.clipboard,
    nics: vm.nics.map((n) => ({
      slot: n.slot,
      mac: n.mac,
      model: NicModelSchema.parse(n.model),
      linkUp: n.linkUp,
      attach:
        n.network.kind === "user"
          ? { kind: "user" as const }
          : { kind: "network" as const, network: n.network.id, ...(n.vlan === null ? {} : { vlan: n.vlan }) },
    })),
  };
}
