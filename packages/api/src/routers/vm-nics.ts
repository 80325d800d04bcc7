// A VM's NICs: listed with the addresses its host's dnsmasq leased, added and removed while it is
// stopped or hot-plugged while it runs (modern profile, docs/decisions/0057), link up or down live, and port forwards.
import { TRPCError } from "@trpc/server";
import type { Db } from "@guesthouse/db";
import { ForwardAddInput, ForwardRefInput, NicAddInput, NicLinkInput, NicRefInput } from "@guesthouse/shared/network-console-api";
import { nicHotplugRefusal } from "@guesthouse/shared/network";
import { can, canOnNetwork } from "../authz.ts";
import { nicRows } from "../nic-record.ts";
import { vmOperationProcedure, vmProcedure } from "../trpc.ts";
import { NIC_LINK_KIND } from "../live-nic-change.ts";
import { changeVmSpec, journaledVmChange } from "../vm-spec-change.ts";

const nicSelect = {
  id: true,
  slot: true,
  mac: true,
  model: true,
  linkUp: true,
  vlan: true,
  network: { select: { id: true, name: true, kind: true } },
  forwards: { select: { id: true, protocol: true, hostPort: true, guestPort: true } },
} as const;

/** An unplug waits for the guest to let go (up to 30 s on the host), inside the change's transaction. */
const HOTPLUG_TX = { timeoutMs: 45_000 };

/**
 * Refusals before anything is journaled: a legacy VM's NICs are not hot-plugged, and a RAM snapshot
 * holds the devices it was taken with, so after a NIC change it could not be loaded.
 */
async function refuseNicChange(db: Db, vm: { id: string; name: string; state: string }, what: string): Promise<void> {
  const { profile } = await db.vm.findUniqueOrThrow({ where: { id: vm.id }, select: { profile: true } });
  const why = vm.state === "running" ? nicHotplugRefusal(profile, vm.name) : undefined;
  if (why) throw new TRPCError({ code: "CONFLICT", message: why });
  const snaps = await db.snapshot.findMany({
    where: { vmId: vm.id, withRam: true },
    select: { name: true },
    orderBy: { createdAt: "asc" },
  });
  if (snaps.length === 0) return;
  throw new TRPCError({
    code: "CONFLICT",
    message:
      `'${vm.name}' has RAM snapshot(s) ${snaps.map((s) => `'${s.name}'`).join(", ")} taken with its present NICs, which could ` +
      `not be restored after ${what}; delete them first`,
  });
}

export const vmNics = {
  nics: vmProcedure("vm.view").query(async ({ ctx }) => {
    const nics = await ctx.db.nic.findMany({ where: { vmId: ctx.vm.id }, select: nicSelect, orderBy: { slot: "asc" } });
    // Addresses are the host's to know; an unreachable host shows none rather than failing the page.
    const leases = nics.length
      ? await (await ctx.hosts.forHost(ctx.vm.hostId)).network.addresses.query().catch(() => ({}) as Record<string, { ip: string }>)
      : {};
    return nics.map((n) => ({ ...n, ipv4: (leases as Record<string, { ip: string } | undefined>)[n.mac]?.ip ?? null }));
  }),

  nicAdd: vmOperationProcedure("nicAdd")
    .input(NicAddInput)
    .mutation(async ({ ctx, input }) => {
      await refuseNicChange(ctx.db, ctx.vm, "adding a NIC");
      // The host checks the network exists there (and a VLAN tag) before the row commits, or nothing changes;
      // on a running guest it hot-plugs the NIC first (docs/decisions/0057).
      return changeVmSpec(
        ctx,
        "vm.nicAdd",
        async (tx) => {
          const vm = await tx.vm.findUniqueOrThrow({
            where: { id: ctx.vm.id },
            select: { profile: true, nics: { select: { slot: true } } },
          });
          const [row] = await nicRows(tx, {
            vmId: ctx.vm.id,
            profile: vm.profile,
            access: ctx.access,
            requests: [input],
            usedSlots: vm.nics.map((n) => n.slot),
          });
          const nic = await tx.nic.create({ data: row!, select: { id: true, mac: true, slot: true } });
          return { result: nic, detail: { slot: nic.slot, mac: nic.mac, networkId: input.networkId } };
        },
        HOTPLUG_TX,
      );
    }),

  nicRemove: vmOperationProcedure("nicRemove")
    .input(NicRefInput)
    .mutation(async ({ ctx, input }) => {
      const nic = await ctx.db.nic.findFirst({ where: { id: input.nicId, vmId: ctx.vm.id }, select: { id: true, mac: true, slot: true } });
      if (!nic) throw new TRPCError({ code: "NOT_FOUND", message: "nicId: this VM has no such NIC" });
      await refuseNicChange(ctx.db, ctx.vm, "removing a NIC");
      return changeVmSpec(
        ctx,
        "vm.nicRemove",
        async (tx) => {
          await tx.nic.delete({ where: { id: nic.id } });
          return { result: { ok: true as const }, detail: { slot: nic.slot, mac: nic.mac } };
        },
        HOTPLUG_TX,
      );
    }),

  nicLink: vmOperationProcedure("nicLink")
    .input(NicLinkInput)
    .mutation(async ({ ctx, input }) => {
      const nic = await ctx.db.nic.findFirst({ where: { id: input.nicId, vmId: ctx.vm.id }, select: { id: true, slot: true } });
      if (!nic) throw new TRPCError({ code: "NOT_FOUND", message: "nicId: this VM has no such NIC" });
      return journaledVmChange(ctx, NIC_LINK_KIND, { nicId: nic.id, up: input.up }, async (tx, host) => {
        await tx.nic.update({ where: { id: nic.id }, data: { linkUp: input.up } });
        await host.vm.setLink.mutate({ id: ctx.vm.id, slot: nic.slot, up: input.up });
        return { result: { ok: true as const }, detail: { slot: nic.slot, up: input.up } };
      });
    }),

  forwardAdd: vmProcedure("vm.config")
    .input(ForwardAddInput)
    .mutation(async ({ ctx, input }) => {
      const nic = await ctx.db.nic.findFirst({
        where: { id: input.nicId, vmId: ctx.vm.id },
        select: { id: true, mac: true, network: { select: { id: true, name: true, kind: true } } },
      });
      if (!nic) throw new TRPCError({ code: "NOT_FOUND", message: "nicId: this VM has no such NIC" });
      if (nic.network.kind !== "nat") {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `nicId: port forwards need a nat network; '${nic.network.name}' is ${nic.network.kind}`,
        });
      }
      if (!canOnNetwork(ctx.access, "network.use", nic.network.id))
        throw new TRPCError({ code: "FORBIDDEN", message: `You need the 'network.use' permission on network '${nic.network.name}'` });
      if (input.hostPort < 1024 && !can(ctx.access, "network.admin")) {
        throw new TRPCError({ code: "FORBIDDEN", message: "hostPort: ports below 1024 need the 'network.admin' permission" });
      }
      const forward = { protocol: input.protocol, hostPort: input.hostPort, guestPort: input.guestPort };
      return journaledVmChange(ctx, "vm.forwardAdd", { networkId: nic.network.id, ...forward }, async (tx, host) => {
        const fwd = await tx.portForward.create({ data: { networkId: nic.network.id, nicId: nic.id, ...forward }, select: { id: true } });
        // The host refuses a port in use on it; then the row goes too.
        const { guestIp } = await host.network.addForward.mutate({ network: nic.network.id, forward: { ...forward, guestMac: nic.mac } });
        return { result: { id: fwd.id, guestIp }, detail: { ...forward, network: nic.network.name } };
      });
    }),

  forwardRemove: vmProcedure("vm.config")
    .input(ForwardRefInput)
    .mutation(async ({ ctx, input }) => {
      const fwd = await ctx.db.portForward.findFirst({
        where: { id: input.forwardId, nic: { vmId: ctx.vm.id } },
        select: { id: true, networkId: true, protocol: true, hostPort: true },
      });
      if (!fwd) throw new TRPCError({ code: "NOT_FOUND", message: "forwardId: this VM has no such port forward" });
      const what = { protocol: fwd.protocol as "tcp" | "udp", hostPort: fwd.hostPort };
      return journaledVmChange(ctx, "vm.forwardRemove", { networkId: fwd.networkId, ...what }, async (tx, host) => {
        await tx.portForward.delete({ where: { id: fwd.id } });
        await host.network.removeForward.mutate({ network: fwd.networkId, ...what }).catch((err: { data?: { code?: string } }) => {
          if (err?.data?.code !== "NOT_FOUND") throw err;
        });
        return { result: { ok: true as const }, detail: what };
      });
    }),
};
