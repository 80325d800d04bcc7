import { DiskCloneInput, DiskCreateInput, DiskImportInput, DiskRefInput, DiskResizeInput } from "@guesthouse/shared/host-api";
import { hostProcedure, router } from "../trpc.ts";
import { diskUndoProcedure } from "./undo.ts";

export const diskRouter = router({
  list: hostProcedure.query(({ ctx }) => ctx.service.disks.list()),
  info: hostProcedure.input(DiskRefInput).query(({ ctx, input }) => ctx.service.disks.info(input.id)),
  create: hostProcedure.input(DiskCreateInput).mutation(({ ctx, input }) => ctx.service.disks.create(input.id, input.sizeBytes)),
  resize: hostProcedure.input(DiskResizeInput).mutation(({ ctx, input }) => ctx.service.disks.resize(input.id, input.sizeBytes)),
  clone: hostProcedure.input(DiskCloneInput).mutation(({ ctx, input }) => ctx.service.disks.clone(input.id, input.from)),
  /** A long operation under the disk's id: `vm.progress` and `vm.cancel` with that id follow and stop it. */
  import: hostProcedure
    .input(DiskImportInput)
    .mutation(({ ctx, input }) =>
      ctx.service.longOps.run(
        input.id,
        "import",
        (control) => ctx.service.disks.import(input.id, input.source, input.format, control),
        `the import of disk '${input.id}'`,
      ),
    ),
  undo: diskUndoProcedure,
  delete: hostProcedure.input(DiskRefInput).mutation(async ({ ctx, input }) => {
    await ctx.service.disks.delete(input.id);
    return { id: input.id };
  }),
});
