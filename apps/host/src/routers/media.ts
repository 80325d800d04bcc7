import { MediaAttachInput, MediaDiscardInput, MediaEjectInput } from "@guesthouse/shared/host-api";
import { discardUpload } from "../media-upload.ts";
import { hostProcedure, router } from "../trpc.ts";

export const mediaRouter = router({
  attach: hostProcedure.input(MediaAttachInput).mutation(({ ctx, input }) => ctx.service.mediaAttach(input.id, input.iso)),
  eject: hostProcedure.input(MediaEjectInput).mutation(({ ctx, input }) => ctx.service.mediaEject(input.id)),
  /** A whole upload whose console died before recording it (the console's reconciliation). */
  discard: hostProcedure
    .input(MediaDiscardInput)
    .mutation(({ ctx, input }) => discardUpload(ctx.service.config.dataDir, input.name, input.writtenBefore)),
});
