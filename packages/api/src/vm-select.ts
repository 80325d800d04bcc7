import type { Prisma } from "@guesthouse/db";

/** What the console shows of a VM; never a whole row. */
export const vmListSelect = {
  id: true,
  name: true,
  state: true,
  stateReason: true,
  osLabel: true,
  cpus: true,
  memoryMiB: true,
  profile: true,
  createdAt: true,
  host: { select: { id: true, name: true } },
} satisfies Prisma.VmSelect;

/** The list also reads each NIC's MAC, to show the addresses leased to it. */
export const vmListRowSelect = { ...vmListSelect, nics: { select: { mac: true }, orderBy: { slot: "asc" } } } satisfies Prisma.VmSelect;

export const vmDetailSelect = {
  ...vmListSelect,
  description: true,
  cpuModel: true,
  bootOrder: true,
  clipboard: true,
  kernelBoot: true,
  undoPolicy: true,
  autostart: true,
  startOrder: true,
  updatedAt: true,
  media: { select: { id: true, name: true } },
  template: { select: { id: true, name: true } },
  disks: { select: { id: true, slot: true, sizeBytes: true, format: true, undoEnabled: true } },
} satisfies Prisma.VmSelect;
