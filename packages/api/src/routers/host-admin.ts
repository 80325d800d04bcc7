// Several hosts under one console: the Hosts page's list, join tokens and the exchange that
// registers a host (ADR 0034), maintenance, removal, and the placement preview of the New VM wizard.
import { TRPCError } from "@trpc/server";
import {
  EvacuationPreviewInput,
  HostJoinInput,
  HostJoinTokenInput,
  JoinTokenRefInput,
  HostMaintenanceInput,
  HostRefInput,
  PlacementInput,
} from "@guesthouse/shared/host-admin-api";
import { audit } from "../audit.ts";
import { createJoinToken, JoinRefused, listJoinTokens, redeemJoinToken, revokeJoinToken } from "../host-join.ts";
import { placeVm } from "../placement.ts";
import { evacuationOf, setMaintenance } from "../host-maintenance.ts";
import { planEvacuation } from "../evacuation-plan.ts";
import { cancelEvacuation } from "../evacuation.ts";
import { permissionProcedure, publicProcedure } from "../trpc.ts";

const HOST_LIST_SELECT = {
  id: true,
  name: true,
  url: true,
  state: true,
  maintenance: true,
  lastSeenAt: true,
  cores: true,
  memoryBytes: true,
  memoryFreeBytes: true,
  diskFreeBytes: true,
  kvm: true,
  cpuModels: true,
  cpuBaseline: true,
  createdAt: true,
  networks: { select: { id: true, name: true, kind: true }, orderBy: { name: "asc" } },
  _count: { select: { vms: true, templates: true, media: true } },
} as const;

/** What a host still holds that removing it would orphan, in words; empty when nothing. */
function holdings(c: { vms: number; templates: number; media: number; networks: number }): string[] {
  const parts: [number, string][] = [
    [c.vms, "VM"],
    [c.templates, "template"],
    [c.media, "ISO"],
    [c.networks, "network"],
  ];
  return parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}${n === 1 ? "" : "s"}`);
}

export const hostAdmin = {
  /** Every host with its state, capacity (last heartbeat), networks and VM counts by state. */
  list: permissionProcedure("host.admin").query(async ({ ctx }) => {
    const [hosts, byState] = await Promise.all([
      ctx.db.host.findMany({ select: HOST_LIST_SELECT, orderBy: { name: "asc" } }),
      ctx.db.vm.groupBy({ by: ["hostId", "state"], _count: true }),
    ]);
    return hosts.map(({ _count, ...h }) => ({
      ...h,
      counts: { ..._count, byState: Object.fromEntries(byState.filter((g) => g.hostId === h.id).map((g) => [g.state, g._count])) },
    }));
  }),

  /** A one-time token to register a new host; shown once, stored hashed. */
  createJoinToken: permissionProcedure("host.admin")
    .input(HostJoinTokenInput)
    .mutation(async ({ ctx, input }) => {
      const made = await createJoinToken(ctx.db, { createdById: ctx.user.id, ttlMinutes: input.ttlMinutes });
      await audit(ctx.db, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "host.joinToken.create",
        outcome: "success",
        detail: { tokenId: made.id, expiresAt: made.expiresAt.toISOString() },
        ip: ctx.ip,
      });
      // The page pins this certificate in the join command it shows for https (ADR 0034).
      return { ...made, consoleCertSha256: ctx.consoleCertSha256 ?? null };
    }),

  /** The join tokens of the last week and what became of each; never the token itself. */
  joinTokens: permissionProcedure("host.admin").query(({ ctx }) => listJoinTokens(ctx.db)),

  /** Revokes a token no host has used yet: a host that tries it later is refused, and told so. */
  revokeJoinToken: permissionProcedure("host.admin")
    .input(JoinTokenRefInput)
    .mutation(async ({ ctx, input }) => {
      await revokeJoinToken(ctx.db, input.tokenId);
      await audit(ctx.db, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "host.joinToken.revoke",
        outcome: "success",
        detail: { tokenId: input.tokenId },
        ip: ctx.ip,
      });
    }),

  /** Called by a new host service (GUESTHOUSE_JOIN): its join token for its own credential. */
  join: publicProcedure.input(HostJoinInput).mutation(async ({ ctx, input }) => {
    const base = { actorName: `host:${input.name}`, action: "host.join", ip: ctx.ip };
    try {
      const joined = await redeemJoinToken(ctx.db, ctx.hosts.token, input);
      await audit(ctx.db, { ...base, outcome: "success", detail: { hostId: joined.hostId, url: input.url } });
      return joined;
    } catch (err) {
      if (err instanceof JoinRefused) await audit(ctx.db, { ...base, outcome: "denied", detail: { reason: err.why, url: input.url } });
      throw err;
    }
  }),

  /**
   * Maintenance on: the host takes no new placements and its guests move to the others (one
   * evacuation task, a move per guest). Off: it takes placements again and, with moveBack, the
   * guests it had come back (ADR 0052).
   */
  setMaintenance: permissionProcedure("host.admin")
    .input(HostMaintenanceInput)
    .mutation(({ ctx, input }) => setMaintenance(ctx, input)),

  /** Where each guest would go now (the same planner the evacuation runs), and which cannot move and why. */
  evacuationPreview: permissionProcedure("host.admin")
    .input(EvacuationPreviewInput)
    .query(async ({ ctx, input }) => {
      const host = await ctx.db.host.findUnique({ where: { id: input.hostId }, select: { id: true } });
      if (!host) throw new TRPCError({ code: "NOT_FOUND", message: `hostId: no host with id '${input.hostId}'` });
      return planEvacuation(ctx.db, input.hostId, input.direction);
    }),

  /** The host's latest evacuation or move-back: a row per guest with its move's own progress; null if none. */
  evacuation: permissionProcedure("host.admin")
    .input(HostRefInput)
    .query(({ ctx, input }) => evacuationOf(ctx.db, input.hostId)),

  /** Stops queuing moves and cancels those under way; the guests not yet moved stay where they are. */
  evacuationCancel: permissionProcedure("host.admin")
    .input(HostRefInput)
    .mutation(async ({ ctx, input }) => {
      const done = await cancelEvacuation(ctx.db, ctx.hosts, input.hostId, ctx.user.email);
      await audit(ctx.db, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "host.evacuationCancel",
        outcome: "success",
        taskId: done.taskId,
        detail: { hostId: input.hostId },
        ip: ctx.ip,
      });
      return done;
    }),

  /** Removes a host's row (and with it its credential); refused while it holds anything. */
  remove: permissionProcedure("host.admin")
    .input(HostRefInput)
    .mutation(async ({ ctx, input }) => {
      const host = await ctx.db.host.findUnique({
        where: { id: input.hostId },
        select: { name: true, _count: { select: { vms: true, templates: true, media: true, networks: true } } },
      });
      if (!host) throw new TRPCError({ code: "NOT_FOUND", message: `No host with id '${input.hostId}'` });
      const held = holdings(host._count);
      const base = { actorId: ctx.user.id, actorName: ctx.user.email, action: "host.remove", ip: ctx.ip };
      if (held.length) {
        await audit(ctx.db, { ...base, outcome: "failure", detail: { hostId: input.hostId, host: host.name, holds: held } });
        throw new TRPCError({
          code: "CONFLICT",
          message: `Host '${host.name}' still holds ${held.join(", ")}: move or delete them first`,
        });
      }
      await ctx.db.host.delete({ where: { id: input.hostId } });
      await audit(ctx.db, { ...base, outcome: "success", detail: { hostId: input.hostId, host: host.name } });
      return { ok: true as const };
    }),

  /** Where a VM with these needs would go now, or why nowhere (the wizard's "Host: auto (→ name)"). */
  placement: permissionProcedure("vm.create")
    .input(PlacementInput)
    .query(async ({ ctx, input }) => {
      try {
        return { ok: true as const, ...(await placeVm(ctx.db, input)) };
      } catch (err) {
        if (err instanceof TRPCError && err.code !== "BAD_REQUEST") return { ok: false as const, reason: err.message };
        throw err;
      }
    }),
};
