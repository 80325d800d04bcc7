import { MediaAttachInput, MediaEjectInput } from "@guesthouse/shared/host-api";
import { hostProcedure, router } from "../trpc.ts";

export const mediaRouter = router({
  attach: hostProcedure.input(MediaAttachInput).mutation(({ ctx, input }) => ctx.service.mediaAttach(input.id, input.iso)),
  eject: hostProcedure.input(MediaEjectInput).mutation(({ ctx, input }) => ctx.service.mediaEject(input.id)),
});
