import { CPU_MODELS } from "@guesthouse/shared/cpu-models";
import { z } from "zod";
import { protectedProcedure, router } from "../trpc.ts";
import { can, visibleVmFilter } from "../authz.ts";
import { localHostId } from "../hosts.ts";
import { hostAdmin } from "./host-admin.ts";

/** Absent: the local host's (the wizard passes the host placement chose). */
const CpuModelsInput = z
  .object({ hostId: z.string().min(1).max(64).optional() })
  .strict()
  .optional();

export const hostRouter = router({
  ...hostAdmin,
  /**
   * The caller's running/stopped counts, for the dashboard; each host's capacity only for those who
   * place VMs on it (vm.create or host.admin everywhere), and its QEMU version only for host.admin.
   */
  overview: protectedProcedure.query(async ({ ctx }) => {
    const counts = await ctx.db.vm.groupBy({ by: ["state"], where: visibleVmFilter(ctx.access), _count: true });
    const countsByState = Object.fromEntries(counts.map((c) => [c.state, c._count])) as Record<string, number>;
    if (!can(ctx.access, "host.admin") && !can(ctx.access, "vm.create")) return { hosts: [], counts: countsByState };
    const hostAdmin = can(ctx.access, "host.admin");
    const hosts = await ctx.db.host.findMany({ select: { id: true, name: true, state: true }, orderBy: { name: "asc" } });
    const withInfo = await Promise.all(
      hosts.map(async (h) => {
        try {
          const { qemuVersion, ...info } = await (await ctx.hosts.forHost(h.id)).host.info.query();
          return { ...h, online: true as const, info: { ...info, qemuVersion: hostAdmin ? qemuVersion : null } };
        } catch {
          return { ...h, online: false as const, info: null };
        }
      }),
    );
    return { hosts: withInfo, counts: countsByState };
  }),

  /** The CPU models offered, and which the (given) host runs (from its accelerator probe), for the VM forms. */
  cpuModels: protectedProcedure.input(CpuModelsInput).query(async ({ ctx, input }) => {
    const hostId = input?.hostId ?? (await localHostId(ctx.db));
    const info = await (await ctx.hosts.forHost(hostId)).host.info.query();
    return {
      accel: info.cpu.accel,
      summary: info.cpu.summary,
      baseline: info.cpu.baseline,
      models: info.cpu.models.map((m) => ({ ...m, ...CPU_MODELS[m.id] })),
    };
  }),
});
