import { tracked } from "@trpc/server";
import { z } from "zod";
import { VmListInput } from "@guesthouse/shared/console-api";
import { can, permissionsOn, visibleVmFilter } from "../authz.ts";
import { vmBus } from "../vm-bus.ts";
import type { HostGateway } from "../host-gateway.ts";
import { vmDetailSelect, vmListRowSelect } from "../vm-select.ts";
import { protectedProcedure, vmProcedure } from "../trpc.ts";
import { watchLive } from "../live-access.ts";

const stateFilter = { any: undefined, running: "running", stopped: "stopped", paused: "paused", suspended: "suspended" } as const;

export const vmQueries = {
  list: protectedProcedure.input(VmListInput).query(async ({ ctx, input }) => {
    const where = {
      ...visibleVmFilter(ctx.access),
      ...(input.search ? { name: { contains: input.search, mode: "insensitive" as const } } : {}),
      ...(stateFilter[input.state] ? { state: stateFilter[input.state] } : {}),
      ...(input.hostId ? { hostId: input.hostId } : {}),
    };
    const [total, items, counts] = await Promise.all([
      ctx.db.vm.count({ where }),
      ctx.db.vm.findMany({
        where,
        select: vmListRowSelect,
        orderBy: [{ [input.sort]: input.dir }, { id: "asc" }],
        skip: (input.page - 1) * input.pageSize,
        take: input.pageSize,
      }),
      ctx.db.vm.groupBy({ by: ["state"], where: visibleVmFilter(ctx.access), _count: true }),
    ]);
    const addresses = await leasedAddresses(ctx.hosts, items);
    return {
      total,
      page: input.page,
      pageSize: input.pageSize,
      counts: Object.fromEntries(counts.map((c) => [c.state, c._count])) as Record<string, number>,
      items: items.map(({ nics, ...vm }) => ({
        ...vm,
        hasNics: nics.length > 0,
        addresses: nics.flatMap((n) => (addresses.get(n.mac) ? [addresses.get(n.mac)!] : [])),
        permissions: permissionsOn(ctx.access, vm.id),
      })),
    };
  }),

  get: vmProcedure("vm.view").query(async ({ ctx }) => {
    const vm = await ctx.db.vm.findUniqueOrThrow({ where: { id: ctx.vm.id }, select: vmDetailSelect });
    return { ...vm, disks: vm.disks.map((d) => ({ ...d, sizeBytes: Number(d.sizeBytes) })), permissions: permissionsOn(ctx.access, vm.id) };
  }),

  /** Live VM changes, only for VMs the subscriber may see. */
  events: protectedProcedure.input(z.object({ lastEventId: z.string().nullish() }).optional()).subscription(async function* ({
    ctx,
    signal,
  }) {
    // Re-checked while open (live-access.ts): each event is filtered by the access as last read.
    const live = await watchLive(ctx, signal);
    try {
      for await (const event of vmBus.listen(live.signal)) {
        if (!can(live.hold.access ?? ctx.access, "vm.view", event.vmId)) {
          // A VM created after the subscription started may be visible through a global grant only.
          continue;
        }
        yield tracked(String(event.seq), event);
      }
    } catch (err) {
      if (!live.ended) throw err;
    } finally {
      live.close();
    }
    live.throwIfEnded();
  }),
};

/**
 * Live figures straight from the host (state, RSS, CPU time), and the QEMU pid for those who may
 * configure the VM. The host's spec (host paths of disks, ISOs, kernels) never leaves the console.
 */
export const vmLive = {
  live: vmProcedure("vm.view").query(async ({ ctx }) => {
    const host = await ctx.hosts.forHost(ctx.vm.hostId);
    const view = await host.vm.get.query({ id: ctx.vm.id });
    return {
      id: view.id,
      state: view.state,
      reason: view.reason,
      since: view.since,
      rssBytes: view.rssBytes,
      cpuSeconds: view.cpuSeconds,
      pid: can(ctx.access, "vm.config", ctx.vm.id) ? view.pid : null,
    };
  }),
};

/** The IPv4 leases of the page's NICs, read once per host that runs one of them; a host that does not answer shows none. */
async function leasedAddresses(hosts: HostGateway, items: { host: { id: string }; state: string; nics: { mac: string }[] }[]) {
  const hostIds = [...new Set(items.filter((v) => v.nics.length && v.state !== "stopped").map((v) => v.host.id))];
  const out = new Map<string, string>();
  for (const hostId of hostIds) {
    let leases: Record<string, { ip: string }> = {};
    try {
      leases = (await (await hosts.forHost(hostId)).network.addresses.query()) as Record<string, { ip: string }>;
    } catch {
      // An unreachable host: its VMs' state says so already; their addresses are simply not shown.
    }
    for (const [mac, lease] of Object.entries(leases)) out.set(mac, lease.ip);
  }
  return out;
}
