import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { hashPassword } from "@guesthouse/db";
import { PasswordSchema, UserCreateInput } from "@guesthouse/shared/console-api";
import { audit } from "../audit.ts";
import { accessBeyond, loadAccess, loadGroupAccess } from "../authz.ts";
import { refuseBeyondGranter } from "../grant-guard.ts";
import { permissionProcedure, router } from "../trpc.ts";

const admin = permissionProcedure("user.admin");

/** Whoever may sign in as (or lock out) a user holds that user's power: only an admin holding at least as much may. */
async function refuseStrongerUser(ctx: Parameters<typeof refuseBeyondGranter>[0], action: string, userId: string): Promise<void> {
  await refuseBeyondGranter(ctx, action, accessBeyond(ctx.access, await loadAccess(ctx.db, userId)), "Changing this user");
}
const userSelect = {
  id: true,
  email: true,
  name: true,
  disabled: true,
  createdAt: true,
  memberships: { select: { group: { select: { id: true, name: true } } } },
} as const;

export const usersRouter = router({
  list: admin.query(({ ctx }) => ctx.db.user.findMany({ select: userSelect, orderBy: { email: "asc" } })),

  create: admin.input(UserCreateInput).mutation(async ({ ctx, input }) => {
    if (await ctx.db.user.findUnique({ where: { email: input.email }, select: { id: true } })) {
      throw new TRPCError({ code: "CONFLICT", message: `A user with e-mail ${input.email} already exists` });
    }
    const passwordHash = await hashPassword(input.password);
    return ctx.db.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email: input.email, name: input.name, passwordHash }, select: { id: true } });
      await audit(tx, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "user.create",
        outcome: "success",
        detail: { email: input.email },
        ip: ctx.ip,
      });
      return user;
    });
  }),

  setDisabled: admin.input(z.object({ userId: z.string(), disabled: z.boolean() })).mutation(async ({ ctx, input }) => {
    if (input.userId === ctx.user.id && input.disabled)
      throw new TRPCError({ code: "BAD_REQUEST", message: "You cannot disable your own account" });
    await refuseStrongerUser(ctx, input.disabled ? "user.disable" : "user.enable", input.userId);
    await ctx.db.$transaction(async (tx) => {
      const user = await tx.user.update({ where: { id: input.userId }, data: { disabled: input.disabled }, select: { email: true } });
      if (input.disabled) await tx.session.deleteMany({ where: { userId: input.userId } });
      await audit(tx, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: input.disabled ? "user.disable" : "user.enable",
        outcome: "success",
        detail: { email: user.email },
        ip: ctx.ip,
      });
    });
    return { ok: true as const };
  }),

  resetPassword: admin.input(z.object({ userId: z.string(), password: PasswordSchema })).mutation(async ({ ctx, input }) => {
    await refuseStrongerUser(ctx, "user.resetPassword", input.userId);
    const passwordHash = await hashPassword(input.password);
    await ctx.db.$transaction(async (tx) => {
      const user = await tx.user.update({ where: { id: input.userId }, data: { passwordHash }, select: { email: true } });
      await tx.session.deleteMany({ where: { userId: input.userId } });
      await audit(tx, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "user.resetPassword",
        outcome: "success",
        detail: { email: user.email },
        ip: ctx.ip,
      });
    });
    return { ok: true as const };
  }),

  groups: admin.query(({ ctx }) =>
    ctx.db.group.findMany({
      select: { id: true, name: true, description: true, members: { select: { user: { select: { id: true, email: true } } } } },
      orderBy: { name: "asc" },
    }),
  ),

  createGroup: admin
    .input(z.object({ name: z.string().trim().min(1).max(60), description: z.string().max(200).default("") }))
    .mutation(async ({ ctx, input }) =>
      ctx.db.$transaction(async (tx) => {
        const group = await tx.group.create({ data: input, select: { id: true } });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "group.create",
          outcome: "success",
          detail: { name: input.name },
          ip: ctx.ip,
        });
        return group;
      }),
    ),

  setMembership: admin
    .input(z.object({ userId: z.string(), groupId: z.string(), member: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      // Joining a group gives its grants; leaving one takes them away: either way, only within the caller's own.
      const group = await loadGroupAccess(ctx.db, input.groupId);
      await refuseBeyondGranter(
        ctx,
        input.member ? "group.addMember" : "group.removeMember",
        accessBeyond(ctx.access, group),
        "This group",
      );
      await ctx.db.$transaction(async (tx) => {
        const key = { userId: input.userId, groupId: input.groupId };
        if (input.member) await tx.membership.upsert({ where: { userId_groupId: key }, create: key, update: {} });
        else await tx.membership.deleteMany({ where: key });
        await audit(tx, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: input.member ? "group.addMember" : "group.removeMember",
          outcome: "success",
          detail: key,
          ip: ctx.ip,
        });
      });
      return { ok: true as const };
    }),
});
