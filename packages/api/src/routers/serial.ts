import { z } from "zod";
import { audit } from "../audit.ts";
import { router, vmProcedure } from "../trpc.ts";
import { vmBus } from "../vm-bus.ts";
import { watchLive } from "../live-access.ts";

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
    const queue: string[] = [];
    let wake = null as (() => void) | null;
    let ended = false;
    let hostId = ctx.vm.hostId;
    // The VM moved (vm-move.ts): the stream follows it to its new host, from the new host's next byte.
    // Re-checked while open (live-access.ts): losing vm.console or the session ends the stream.
    const live = await watchLive(ctx, signal, { permission: "vm.console", vmId: ctx.vm.id });
    const moved = new AbortController();
    live.signal.addEventListener("abort", () => moved.abort(), { once: true });
    void (async () => {
      for await (const e of vmBus.listen(moved.signal)) {
        if (e.type === "host" && e.vmId === ctx.vm.id && e.hostId !== hostId) {
          hostId = e.hostId;
          wake?.();
        }
      }
    })().catch(() => undefined);
    const follow = async (replayBytes: number) => {
      const subscribedTo = hostId;
      const host = await ctx.hosts.forHost(subscribedTo);
      return {
        hostId: subscribedTo,
        sub: host.serial.stream.subscribe(
          { id: ctx.vm.id, replayBytes },
          {
            onData: (chunk) => {
              queue.push(chunk.base64);
              wake?.();
            },
            onError: () => {
              if (hostId === subscribedTo) ended = true;
              wake?.();
            },
            onComplete: () => {
              if (hostId === subscribedTo) ended = true;
              wake?.();
            },
          },
        ),
      };
    };
    let current = await follow(16 * 1024);
    live.signal.addEventListener("abort", () => {
      ended = true;
      wake?.();
    });
    try {
      while (!ended || queue.length) {
        if (current.hostId !== hostId && !ended) {
          current.sub.unsubscribe();
          current = await follow(0);
        }
        if (queue.length) yield queue.shift()!;
        else await new Promise<void>((r) => (wake = r));
      }
    } finally {
      current.sub.unsubscribe();
      moved.abort();
      live.close();
    }
    live.throwIfEnded();
  }),
});
