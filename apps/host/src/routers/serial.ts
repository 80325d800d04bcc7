import { SerialReadInput, SerialStreamInput, SerialWriteInput } from "@guesthouse/shared/host-api";
import { hostProcedure, router } from "../trpc.ts";

export const serialRouter = router({
  /** The newest bytes of the VM's serial log. */
  read: hostProcedure.input(SerialReadInput).query(({ ctx, input }) => {
    const { offset, data } = ctx.service.serialRead(input.id, input.maxBytes);
    return { offset, base64: data.toString("base64") };
  }),
  write: hostProcedure.input(SerialWriteInput).mutation(async ({ ctx, input }) => {
    const data = Buffer.from(input.data, input.encoding);
    await ctx.service.serialWrite(input.id, data);
    return { bytes: data.length };
  }),
  /** Serial output as base64 chunks; `offset` counts bytes since the host service started. */
  stream: hostProcedure.input(SerialStreamInput).subscription(async function* ({ ctx, input, signal }) {
    for await (const chunk of ctx.service.serialStream(input.id, input.replayBytes, signal)) {
      yield { offset: chunk.offset, base64: chunk.data.toString("base64") };
    }
  }),
});
