import { z } from "zod";
import { audit } from "../audit.ts";
import { router, vmProcedure } from "../trpc.ts";

export const serialRouter = router({
  read: vmProcedure("vm.console").query(async ({ ctx }) => {
    const host = await ctx.hosts.forHost(ctx.vm.hostId);
    return host.serial.read.query({ id: ctx.vm.id, maxBytes: 64 * 1024 });
  }),
  write: vmProcedure("vm.console")
    .input(z.object({ data: z.string().min(1).max(4096) }))
    .mutation(async ({ ctx, input }) => {
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      await host.serial.write.mutate({ id: ctx.vm.id, data: input.data });
      return { ok: true as const };
    }),
  /** Live serial output as base64 chunks (bytes, not text: a UTF-8 character may span two chunks);
   *  replays the recent buffer first so a new tab is not blank. */
  stream: vmProcedure("vm.console").subscription(async function* ({ ctx, signal }) {
    await audit(ctx.db, {
      actorId: ctx.user.id,
      actorName: ctx.user.email,
      action: "serial.open",
      vmId: ctx.vm.id,
      vmName: ctx.vm.name,
      outcome: "success",
      ip: ctx.ip,
    });
    const host = await ctx.hosts.forHost(ctx.vm.hostId);
    const queue: string[] = [];
    let wake: (() => void) | null = null;
    let ended = false;
    const sub = host.serial.stream.subscribe(
      { id: ctx.vm.id, replayBytes: 16 * 1024 },
      {
        onData: (chunk) => {
          queue.push(chunk.base64);
          wake?.();
        },
        onError: () => {
          ended = true;
          wake?.();
        },
        onComplete: () => {
          ended = true;
          wake?.();
        },
      },
    );
    signal?.addEventListener("abort", () => {
      ended = true;
      wake?.();
    });
    try {
      while (!ended || queue.length) {
        if (queue.length) yield queue.shift()!;
        else await new Promise<void>((r) => (wake = r));
      }
    } finally {
      sub.unsubscribe();
    }
  }),
});
