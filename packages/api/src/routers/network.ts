// Networks as objects: list, create and delete, each change journaled as a task and audited; the
// host realises what the row says (docs/decisions/0021).
import { TRPCError } from "@trpc/server";
import { NetworkCreateInput, NetworkRefInput } from "@guesthouse/shared/network-console-api";
import { audit } from "../audit.ts";
import { can, usableNetworkFilter } from "../authz.ts";
import { localHostId } from "../hosts.ts";
import { createNetwork } from "../network-create.ts";
import { runTask } from "../tasks.ts";
import { permissionProcedure, protectedProcedure, router } from "../trpc.ts";

const networkSelect = {
  id: true,
  name: true,
  kind: true,
  bridge: true,
  subnet: true,
  isDefault: true,
  hostId: true,
  createdAt: true,
  nics: { select: { vm: { select: { id: true, name: true } } } },
  forwards: {
    select: {
      id: true,
      protocol: true,
      hostPort: true,
      guestPort: true,
      nic: { select: { mac: true, vm: { select: { id: true, name: true } } } },
    },
  },
} as const;

export const networkRouter = router({
  /** The networks the caller may use (`network.use` globally or on that network), or all for a network admin. */
  list: protectedProcedure.query(async ({ ctx }) => {
    const where = can(ctx.access, "network.admin") ? {} : usableNetworkFilter(ctx.access);
    const rows = await ctx.db.network.findMany({ where, select: networkSelect, orderBy: { name: "asc" } });
    return rows.map(({ nics, forwards, ...n }) => {
      const vms = [...new Map(nics.map((x) => [x.vm.id, x.vm])).values()];
      const visible = vms.filter((v) => can(ctx.access, "vm.view", v.id));
      return {
        ...n,
        vms: visible.map((v) => ({ id: v.id, name: v.name })),
        otherVms: vms.length - visible.length,
        forwards: forwards.map((f) => ({
          id: f.id,
          protocol: f.protocol,
          hostPort: f.hostPort,
          guestPort: f.guestPort,
          vmName: can(ctx.access, "vm.view", f.nic.vm.id) ? f.nic.vm.name : "a VM you cannot see",
        })),
      };
    });
  }),

  create: permissionProcedure("network.admin")
    .input(NetworkCreateInput)
    .mutation(async ({ ctx, input }) => {
      const hostId = await localHostId(ctx.db);
      return createNetwork({ db: ctx.db, hosts: ctx.hosts, actor: ctx.user, ip: ctx.ip }, hostId, input);
    }),

  delete: permissionProcedure("network.admin")
    .input(NetworkRefInput)
    .mutation(async ({ ctx, input }) => {
      const n = await ctx.db.network.findUnique({
        where: { id: input.networkId },
        select: { id: true, name: true, kind: true, hostId: true, nics: { select: { vm: { select: { id: true, name: true } } } } },
      });
      if (!n) throw new TRPCError({ code: "NOT_FOUND", message: "That network no longer exists" });
      if (n.nics.length) {
        const names = [...new Set(n.nics.map((x) => (can(ctx.access, "vm.view", x.vm.id) ? `'${x.vm.name}'` : "a VM you cannot see")))];
        throw new TRPCError({ code: "CONFLICT", message: `Network '${n.name}' is in use by ${names.join(", ")}: remove their NICs first` });
      }
      return runTask(
        ctx.db,
        { kind: "network.delete", hostId: n.hostId, actor: ctx.user, input: { networkId: n.id, name: n.name } },
        async (task) => {
          if (n.kind !== "user") {
            await task.progress(30, "removing it from its host");
            await (await ctx.hosts.forHost(n.hostId)).network.remove.mutate({ id: n.id }).catch((err: { data?: { code?: string } }) => {
              if (err?.data?.code !== "NOT_FOUND") throw err;
            });
          }
          await ctx.db.$transaction(async (tx) => {
            await tx.network.delete({ where: { id: n.id } });
            await audit(tx, {
              actorId: ctx.user.id,
              actorName: ctx.user.email,
              action: "network.delete",
              outcome: "success",
              detail: { name: n.name, kind: n.kind },
              ip: ctx.ip,
              taskId: task.id,
            });
          });
          return { ok: true as const };
        },
      );
    }),
});
