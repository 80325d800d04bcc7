import { CPU_MODELS } from "@guesthouse/shared/cpu-models";
import { protectedProcedure, router } from "../trpc.ts";
import { visibleVmFilter } from "../authz.ts";
import { localHostId } from "../hosts.ts";

export const hostRouter = router({
  /** Capacity of each host and the caller's running/stopped counts, for the dashboard. */
  overview: protectedProcedure.query(async ({ ctx }) => {
    const hosts = await ctx.db.host.findMany({ select: { id: true, name: true, state: true }, orderBy: { name: "asc" } });
    const withInfo = await Promise.all(
      hosts.map(async (h) => {
        try {
          const info = await (await ctx.hosts.forHost(h.id)).host.info.query();
          return { ...h, online: true as const, info };
        } catch {
          return { ...h, online: false as const, info: null };
        }
      }),
    );
    const counts = await ctx.db.vm.groupBy({ by: ["state"], where: visibleVmFilter(ctx.access), _count: true });
    return { hosts: withInfo, counts: Object.fromEntries(counts.map((c) => [c.state, c._count])) as Record<string, number> };
  }),

  /** The CPU models offered, and which the host runs (from its accelerator probe), for the VM forms. */
  cpuModels: protectedProcedure.query(async ({ ctx }) => {
    const info = await (await ctx.hosts.forHost(await localHostId(ctx.db))).host.info.query();
    return {
      accel: info.cpu.accel,
      summary: info.cpu.summary,
      baseline: info.cpu.baseline,
      models: info.cpu.models.map((m) => ({ ...m, ...CPU_MODELS[m.id] })),
    };
  }),
});
