import { DiskUndoInput } from "@guesthouse/shared/host-template-api";
import { hostProcedure } from "../trpc.ts";
import { undoAction } from "../undo-disks.ts";

/** `disk.undo`: keep, commit or discard a stopped VM's undo-disk changes. */
export const diskUndoProcedure = hostProcedure
  .input(DiskUndoInput)
  .mutation(({ ctx, input }) => undoAction(ctx.service.vms, input.id, input.disk, input.action));
