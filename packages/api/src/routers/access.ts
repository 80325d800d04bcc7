import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { GrantInput, RoleInput } from "@guesthouse/shared/console-api";
import { audit } from "../audit.ts";
import { beyondGranter, NETWORK_SCOPED } from "../authz.ts";
import { refuseBeyondGranter } from "../grant-guard.ts";
import { permissionProcedure, router } from "../trpc.ts";

const admin = permissionProcedure("user.admin");
const grantSelect = {
  id: true,
  scope: true,
  vmId: true,
  networkId: true,
  createdAt: true,
  role: { select: { id: true, name: true } },
  user: { select: { id: true, email: true } },
  group: { select: { id: true, name: true } },
  vm: { select: { id: true, name: true } },
  network: { select: { id: true, name: true } },
} as const;

const scopeOf = (g: { vmId?: string; networkId?: string }) => (g.vmId ? "vm" : g.networkId ? "network" : "global");

export const accessRouter = router({
  roles: admin.query(({ ctx }) =>
    ctx.db.role.findMany({
      select: { id: true, name: true, description: true, permissions: true, builtIn: true },
      orderBy: { name: "asc" },
    }),
  ),

  createRole: admin.input(RoleInput).mutation(async ({ ctx, input }) => {
    await refuseBeyondGranter(ctx, "role.create", beyondGranter(ctx.access, input.permissions), `Role '${input.name}'`);
    return ctx.db.$transaction(async (tx) => {
      const role = await tx.role.create({ data: input, select: { id: true } });
      await audit(tx, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "role.create",
        outcome: "success",
        detail: input,
        ip: ctx.ip,
      });
      return role;
    });
  }),

  updateRole: admin.input(RoleInput.extend({ roleId: z.string() })).mutation(async ({ ctx, input }) => {
    const { roleId, ...data } = input;
    const role = await ctx.db.role.findUnique({ where: { id: roleId }, select: { builtIn: true, name: true } });
    if (!role) throw new TRPCError({ code: "NOT_FOUND", message: `No role with id '${roleId}'` });
    if (role.builtIn)
      throw new TRPCError({ code: "BAD_REQUEST", message: `'${role.name}' is built in and cannot be changed: make a custom role instead` });
    // A custom role may already be granted (to the caller too): it may hold only what the caller holds everywhere.
    await refuseBeyondGranter(ctx, "role.update", beyondGranter(ctx.access, data.permissions), `Role '${role.name}'`);
    await ctx.db.$transaction(async (tx) => {
      await tx.role.update({ where: { id: roleId }, data });
      await audit(tx, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "role.update",
        outcome: "success",
        detail: data,
        ip: ctx.ip,
      });
    });
    return { ok: true as const };
  }),

  grants: admin
    .input(z.object({ vmId: z.string().max(64).optional(), networkId: z.string().max(64).optional() }).default({}))
    .query(({ ctx, input }) =>
      ctx.db.accessGrant.findMany({
        where: input.vmId ? { vmId: input.vmId } : input.networkId ? { networkId: input.networkId } : {},
        select: grantSelect,
        orderBy: { createdAt: "asc" },
      }),
    ),

  grant: admin.input(GrantInput).mutation(async ({ ctx, input }) => {
    const role = await ctx.db.role.findUnique({ where: { id: input.roleId }, select: { name: true, permissions: true } });
    if (!role) throw new TRPCError({ code: "NOT_FOUND", message: "No such role: it may have been deleted" });
    if (input.networkId && !role.permissions.some((p) => (NETWORK_SCOPED as string[]).includes(p)))
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `roleId: '${role.name}' gives nothing on a network: only ${NETWORK_SCOPED.join(", ")} counts there (for example the role 'Network user')`,
      });
    await refuseBeyondGranter(
      ctx,
      "access.grant",
      beyondGranter(ctx.access, role.permissions, input.vmId, input.networkId),
      `Granting '${role.name}'`,
    );
    return ctx.db.$transaction(async (tx) => {
      const grant = await tx.accessGrant.create({
        data: {
          roleId: input.roleId,
          userId: input.userId,
          groupId: input.groupId,
          vmId: input.vmId,
          networkId: input.networkId,
          scope: scopeOf(input),
        },
        select: grantSelect,
      });
      await audit(tx, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "access.grant",
        outcome: "success",
        ip: ctx.ip,
        vmId: grant.vm?.id,
        vmName: grant.vm?.name,
        detail: {
          role: grant.role.name,
          user: grant.user?.email ?? null,
          group: grant.group?.name ?? null,
          network: grant.network?.name ?? null,
        },
      });
      return grant;
    });
  }),

  revoke: admin.input(z.object({ grantId: z.string() })).mutation(async ({ ctx, input }) => {
    // Taking away is bounded like giving: a lesser administrator cannot strip a greater one.
    const existing = await ctx.db.accessGrant.findUnique({
      where: { id: input.grantId },
      select: { vmId: true, networkId: true, role: { select: { name: true, permissions: true } } },
    });
    if (existing)
      await refuseBeyondGranter(
        ctx,
        "access.revoke",
        beyondGranter(ctx.access, existing.role.permissions, existing.vmId, existing.networkId),
        `Revoking '${existing.role.name}'`,
      );
    await ctx.db.$transaction(async (tx) => {
      if (!(await tx.accessGrant.findUnique({ where: { id: input.grantId }, select: { id: true } })))
        throw new TRPCError({ code: "NOT_FOUND", message: "That grant no longer exists (it may have been revoked already)" });
      const grant = await tx.accessGrant.delete({ where: { id: input.grantId }, select: grantSelect });
      // Nobody may remove the last way in: at least one global `user.admin` grant to a user stays.
      const adminsLeft = await tx.accessGrant.count({
        where: { scope: "global", userId: { not: null }, role: { permissions: { has: "user.admin" } } },
      });
      if (adminsLeft === 0)
        throw new TRPCError({
          code: "CONFLICT",
          message: "This is the last administrator grant: give another user an administrator role first",
        });
      await audit(tx, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "access.revoke",
        outcome: "success",
        ip: ctx.ip,
        vmId: grant.vm?.id,
        vmName: grant.vm?.name,
        detail: {
          role: grant.role.name,
          user: grant.user?.email ?? null,
          group: grant.group?.name ?? null,
          network: grant.network?.name ?? null,
        },
      });
    });
    return { ok: true as const };
  }),
});
