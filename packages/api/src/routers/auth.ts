import { TRPCError } from "@trpc/server";
import { dummyHash, hashPassword, verifyPassword } from "@guesthouse/db";
import { ChangePasswordInput, LoginInput } from "@guesthouse/shared/console-api";
import { audit } from "../audit.ts";
import { permissionsOn } from "../authz.ts";
import { passwordLimiters, reserveSignIn } from "../rate-limit.ts";
import { clearedSessionCookie, createSession, sessionCookie } from "../session.ts";
import { protectedProcedure, publicProcedure, router } from "../trpc.ts";

export const authRouter = router({
  login: publicProcedure.input(LoginInput).mutation(async ({ ctx, input }) => {
    // Reserved before anything is awaited: attempts that arrive together count against each other.
    const attempt = reserveSignIn(passwordLimiters, input.email, ctx.ip);
    if (!attempt.allowed) {
      // One audit row per refused burst and key, not per attempt: refusals cost no password check
      // and must not let anyone flood the log without signing in.
      if (passwordLimiters.audited.first(`login|${attempt.refusedBy}`))
        await audit(ctx.db, {
          actorName: input.email,
          action: "auth.login",
          outcome: "denied",
          detail: { reason: "rate-limited" },
          ip: ctx.ip,
        });
      throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `Too many attempts, try again in ${attempt.retryAfterS} s` });
    }
    const user = await ctx.db.user.findUnique({ where: { email: input.email }, select: { id: true, passwordHash: true, disabled: true } });
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), input.password);
    if (!user || !ok || user.disabled) {
      await audit(ctx.db, { actorId: user?.id, actorName: input.email, action: "auth.login", outcome: "failure", ip: ctx.ip });
      throw new TRPCError({
        code: "UNAUTHORIZED",
        message: user?.disabled && ok ? "This account is disabled" : "Wrong e-mail or password",
      });
    }
    attempt.succeeded();
    const { token, expiresAt } = await createSession(ctx.db, user.id, { ip: ctx.ip, userAgent: "" });
    ctx.resHeaders?.append("set-cookie", sessionCookie(token, expiresAt, ctx.secureCookies));
    await audit(ctx.db, { actorId: user.id, actorName: input.email, action: "auth.login", outcome: "success", ip: ctx.ip });
    return { ok: true as const };
  }),

  logout: protectedProcedure.mutation(async ({ ctx }) => {
    await ctx.db.session.deleteMany({ where: { id: ctx.user.sessionId } });
    ctx.resHeaders?.append("set-cookie", clearedSessionCookie(ctx.secureCookies));
    await audit(ctx.db, { actorId: ctx.user.id, actorName: ctx.user.email, action: "auth.logout", outcome: "success", ip: ctx.ip });
    return { ok: true as const };
  }),

  me: protectedProcedure.query(({ ctx }) => ({
    id: ctx.user.id,
    email: ctx.user.email,
    name: ctx.user.name,
    permissions: [...ctx.access.global],
    vmPermissions: Object.fromEntries([...ctx.access.perVm.keys()].map((id) => [id, permissionsOn(ctx.access, id)])),
  })),

  changePassword: protectedProcedure.input(ChangePasswordInput).mutation(async ({ ctx, input }) => {
    // The session may be stolen: guesses at the current password are limited like sign-ins.
    const attempt = passwordLimiters.changePassword.reserve(`user:${ctx.user.id}`);
    if (!attempt.allowed) {
      if (passwordLimiters.audited.first(`changePassword|${ctx.user.id}`))
        await audit(ctx.db, {
          actorId: ctx.user.id,
          actorName: ctx.user.email,
          action: "auth.changePassword",
          outcome: "denied",
          detail: { reason: "rate-limited" },
          ip: ctx.ip,
        });
      throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `Too many attempts, try again in ${attempt.retryAfterS} s` });
    }
    const user = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.user.id }, select: { passwordHash: true } });
    if (!(await verifyPassword(user.passwordHash, input.current))) {
      await audit(ctx.db, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "auth.changePassword",
        outcome: "failure",
        ip: ctx.ip,
      });
      throw new TRPCError({ code: "BAD_REQUEST", message: "Your current password is not right" });
    }
    attempt.release();
    const passwordHash = await hashPassword(input.next);
    await ctx.db.$transaction(async (tx) => {
      await tx.user.update({ where: { id: ctx.user.id }, data: { passwordHash } });
      // Other sessions of this user end: a changed password should lock out whoever knew the old one.
      await tx.session.deleteMany({ where: { userId: ctx.user.id, NOT: { id: ctx.user.sessionId } } });
      await audit(tx, { actorId: ctx.user.id, actorName: ctx.user.email, action: "auth.changePassword", outcome: "success", ip: ctx.ip });
    });
    return { ok: true as const };
  }),
});
