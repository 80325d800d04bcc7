import { permissionProcedure, router } from "../trpc.ts";

// What a new VM can start from. Anyone who may create VMs may read the catalogue.
export const catalogRouter = router({
  // Only boot recipes: a template captured from a VM (onHost) is disks and RAM state on its host,
  // made into VMs by template.clone, and vm.create refuses it.
  templates: permissionProcedure("vm.create").query(({ ctx }) =>
    ctx.db.template.findMany({
      where: { onHost: false },
      select: { id: true, name: true, description: true, osLabel: true, memoryMiB: true, cpus: true },
      orderBy: { name: "asc" },
    }),
  ),
  media: permissionProcedure("vm.create").query(async ({ ctx }) => {
    const rows = await ctx.db.media.findMany({
      select: { id: true, name: true, kind: true, sizeBytes: true, sha256: true },
      orderBy: { name: "asc" },
    });
    return rows.map((m) => ({ ...m, sizeBytes: Number(m.sizeBytes) }));
  }),
});
