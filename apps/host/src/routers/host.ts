import { hostProcedure, router } from "../trpc.ts";

export const hostInfoRouter = router({
  /** Capacity and engine: cores, RAM, free RAM, KVM, QEMU version, VM counts. */
  info: hostProcedure.query(({ ctx }) => ctx.service.info()),
});
