import { tracked } from "@trpc/server";
import { VmDefineInput, VmDeleteInput, VmEventsInput, VmRefInput, VmShutdownInput, VmUpdateInput } from "@guesthouse/shared/host-api";
import { NicLinkInput } from "@guesthouse/shared/host-network-api";
import { hostProcedure, router } from "../trpc.ts";

export const vmRouter = router({
  list: hostProcedure.query(({ ctx }) => ctx.service.list()),
  get: hostProcedure.input(VmRefInput).query(({ ctx, input }) => ctx.service.view(input.id)),
  define: hostProcedure.input(VmDefineInput).mutation(({ ctx, input }) => ctx.service.define(input.id, input.spec)),
  update: hostProcedure.input(VmUpdateInput).mutation(({ ctx, input }) => ctx.service.update(input.id, input.spec)),
  start: hostProcedure.input(VmRefInput).mutation(({ ctx, input }) => ctx.service.start(input.id)),
  shutdown: hostProcedure.input(VmShutdownInput).mutation(({ ctx, input }) => ctx.service.shutdown(input.id, input.timeoutMs)),
  powerOff: hostProcedure.input(VmRefInput).mutation(({ ctx, input }) => ctx.service.powerOff(input.id)),
  reset: hostProcedure.input(VmRefInput).mutation(({ ctx, input }) => ctx.service.reset(input.id)),
  pause: hostProcedure.input(VmRefInput).mutation(({ ctx, input }) => ctx.service.pause(input.id)),
  resume: hostProcedure.input(VmRefInput).mutation(({ ctx, input }) => ctx.service.resume(input.id)),
  save: hostProcedure.input(VmRefInput).mutation(({ ctx, input }) => ctx.service.save(input.id)),
  restore: hostProcedure.input(VmRefInput).mutation(({ ctx, input }) => ctx.service.restore(input.id)),
  discardSaved: hostProcedure.input(VmRefInput).mutation(({ ctx, input }) => ctx.service.discardSaved(input.id)),
  delete: hostProcedure.input(VmDeleteInput).mutation(({ ctx, input }) => ctx.service.delete(input.id, input.deleteDisks)),
  /** A NIC's link, live (QMP set_link); kept in the spec for the next start. */
  /** How far the VM's long operation (a full clone's copy, a state save) has got; null when none runs. */
  progress: hostProcedure.input(VmRefInput).query(({ ctx, input }) => ctx.service.longOps.progress(input.id)),
  /** Stops the VM's long operation; it removes what it had begun. False when none was under way. */
  cancel: hostProcedure.input(VmRefInput).mutation(({ ctx, input }) => ({ cancelled: ctx.service.longOps.cancel(input.id) })),
  setLink: hostProcedure.input(NicLinkInput).mutation(({ ctx, input }) => ctx.service.setLink(input.id, input.slot, input.up)),
  screendump: hostProcedure.input(VmRefInput).query(async ({ ctx, input }) => ({
    format: "png" as const,
    base64: (await ctx.service.screendump(input.id)).toString("base64"),
  })),
  /** Where the event stream is now: read it before `list`, and subscribe from it, to miss no change in between. */
  eventCursor: hostProcedure.query(({ ctx }) => ({ lastEventId: ctx.service.vms.events.lastId })),
  /** State changes of every VM (or one), resumable with lastEventId. */
  events: hostProcedure.input(VmEventsInput).subscription(async function* ({ ctx, input, signal }) {
    const only = input.id;
    for await (const { id, event } of ctx.service.vms.events.subscribe({
      signal,
      lastEventId: input.lastEventId,
      filter: (e) => only === undefined || e.vmId === only,
    })) {
      yield tracked(id, event);
    }
  }),
});
