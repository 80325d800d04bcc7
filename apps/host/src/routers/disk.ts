import { DiskCloneInput, DiskCreateInput, DiskImportInput, DiskRefInput, DiskResizeInput } from "@guesthouse/shared/host-api";
import { hostProcedure, router } from "../trpc.ts";
import { diskUndoProcedure } from "./undo.ts";

export const diskRouter = router({
  list: hostProcedure.query(({ ctx }) => ctx.service.disks.list()),
  info: hostProcedure.input(DiskRefInput).query(({ ctx, input }) => ctx.service.disks.info(input.id)),
  create: hostProcedure.input(DiskCreateInput).mutation(({ ctx, input }) => ctx.service.disks.create(input.id, input.sizeBytes)),
  resize: hostProcedure.input(DiskResizeInput).mutation(({ ctx, input }) => ctx.service.disks.resize(input.id, input.sizeBytes)),
  clone: hostProcedure.input(DiskCloneInput).mutation(({ ctx, input }) => ctx.service.disks.clone(input.id, input.from)),
  import: hostProcedure.input(DiskImportInput).mutation(({ ctx, input }) => ctx.service.disks.import(input.id, input.source, input.format)),
  undo: diskUndoProcedure,
  delete: hostProcedure.input(DiskRefInput).mutation(async ({ ctx, input }) => {
    await ctx.service.disks.delete(input.id);
    return { id: input.id };
  }),
});
