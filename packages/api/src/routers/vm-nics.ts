// A VM's NICs: listed with the addresses its host's dnsmasq leased, added and removed while it is
// stopped (the operations table says so), link up or down live, and port forwards to them.
import { TRPCError } from "@trpc/server";
import { ForwardAddInput, ForwardRefInput, NicAddInput, NicLinkInput, NicRefInput } from "@guesthouse/shared/network-console-api";
import { audit } from "../audit.ts";
import { can, canOnNetwork } from "../authz.ts";
import { nicRows } from "../nic-record.ts";
import { vmOperationProcedure, vmProcedure } from "../trpc.ts";
import { changeVmSpec } from "../vm-spec-change.ts";

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
      // The host checks the network exists there (and a VLAN tag) before the row commits, or nothing changes.
      return changeVmSpec(ctx, "vm.nicAdd", async (tx) => {
        const vm = await tx.vm.findUniqueOrThrow({ where: { id: ctx.vm.id }, select: { profile: true, nics: { select: { slot: true } } } });
        const [row] = await nicRows(tx, {
          vmId: ctx.vm.id,
          profile: vm.profile,
          access: ctx.access,
          requests: [input],
          usedSlots: vm.nics.map((n) => n.slot),
        });
        const nic = await tx.nic.create({ data: row!, select: { id: true, mac: true, slot: true } });
        return { result: nic, detail: { slot: nic.slot, mac: nic.mac, networkId: input.networkId } };
      });
    }),

  nicRemove: vmOperationProcedure("nicRemove")
    .input(NicRefInput)
    .mutation(async ({ ctx, input }) => {
      const nic = await ctx.db.nic.findFirst({ where: { id: input.nicId, vmId: ctx.vm.id }, select: { id: true, mac: true, slot: true } });
      if (!nic) throw new TRPCError({ code: "NOT_FOUND", message: "nicId: this VM has no such NIC" });
      return changeVmSpec(ctx, "vm.nicRemove", async (tx) => {
        await tx.nic.delete({ where: { id: nic.id } });
        return { result: { ok: true as const }, detail: { slot: nic.slot, mac: nic.mac } };
      });
    }),

  nicLink: vmOperationProcedure("nicLink")
    .input(NicLinkInput)
    .mutation(async ({ ctx, input }) => {
      const nic = await ctx.db.nic.findFirst({ where: { id: input.nicId, vmId: ctx.vm.id }, select: { id: true, slot: true } });
      if (!nic) throw new TRPCError({ code: "NOT_FOUND", message: "nicId: this VM has no such NIC" });
      await (await ctx.hosts.forHost(ctx.vm.hostId)).vm.setLink.mutate({ id: ctx.vm.id, slot: nic.slot, up: input.up });
      await ctx.db.$transaction(async (tx) => {
        await tx.nic.update({ where: { id: nic.id }, data: { linkUp: input.up } });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "vm.nicLink",
          vmId: ctx.vm.id,
          vmName: ctx.vm.name,
          outcome: "success",
          detail: { slot: nic.slot, up: input.up },
          ip: ctx.ip,
        });
      });
      return { ok: true as const };
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
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      return ctx.db.$transaction(async (tx) => {
        const fwd = await tx.portForward.create({
          data: {
            networkId: nic.network.id,
            nicId: nic.id,
            protocol: input.protocol,
            hostPort: input.hostPort,
            guestPort: input.guestPort,
          },
          select: { id: true },
        });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "vm.forwardAdd",
          vmId: ctx.vm.id,
          vmName: ctx.vm.name,
          outcome: "success",
          detail: { protocol: input.protocol, hostPort: input.hostPort, guestPort: input.guestPort, network: nic.network.name },
          ip: ctx.ip,
        });
        // The host refuses a port in use on it; then the row goes too.
        const { guestIp } = await host.network.addForward.mutate({
          network: nic.network.id,
          forward: { protocol: input.protocol, hostPort: input.hostPort, guestMac: nic.mac, guestPort: input.guestPort },
        });
        return { id: fwd.id, guestIp };
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
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      await ctx.db.$transaction(async (tx) => {
        await tx.portForward.delete({ where: { id: fwd.id } });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "vm.forwardRemove",
          vmId: ctx.vm.id,
          vmName: ctx.vm.name,
          outcome: "success",
          detail: { protocol: fwd.protocol, hostPort: fwd.hostPort },
          ip: ctx.ip,
        });
        await host.network.removeForward
          .mutate({ network: fwd.networkId, protocol: fwd.protocol as "tcp" | "udp", hostPort: fwd.hostPort })
          .catch((err: { data?: { code?: string } }) => {
            if (err?.data?.code !== "NOT_FOUND") throw err;
          });
      });
      return { ok: true as const };
    }),
};
