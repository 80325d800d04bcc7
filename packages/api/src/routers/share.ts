// Console share links (docs/decisions/0028-console-share-links.md): a holder of vm.console makes,
// lists and revokes them; someone with the link and no account opens it (with its PIN) and gets
// display tickets for as long as it is good.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { hashPassword, sha256, verifyPassword } from "@guesthouse/db";
import { ShareCreateInput, ShareDescribeInput, ShareOpenInput, ShareTicketInput } from "@guesthouse/shared/share-links";
import { audit } from "../audit.ts";
import { displayViewers } from "../display/viewers.ts";
import {
  newShareToken,
  pinLimiters,
  reservePinGuess,
  SHARE_LINK_SELECT,
  issueSharePass,
  linkOfSharePass,
  shareRefusal,
  shareStatus,
  shareViewerName,
} from "../display/share-links.ts";
import type { Context } from "../context.ts";
import { issueDisplayTicket } from "./display.ts";
import { publicProcedure, router, vmProcedure } from "../trpc.ts";

const NOT_A_LINK = "This share link is not valid (check that it was copied whole)";

async function linkByToken(ctx: Context, token: string) {
  const link = await ctx.db.shareLink.findUnique({
    where: { tokenHash: sha256(token) },
    select: { ...SHARE_LINK_SELECT, pinHash: true, vm: { select: { id: true, name: true, hostId: true, state: true } } },
  });
  if (!link) throw new TRPCError({ code: "NOT_FOUND", message: NOT_A_LINK });
  return link;
}

function refuseUnlessGood(link: Parameters<typeof shareRefusal>[0], opening: boolean) {
  const why = shareRefusal(link, Date.now(), { opening });
  if (why) throw new TRPCError({ code: "BAD_REQUEST", message: why });
}

export const shareRouter = router({
  create: vmProcedure("vm.console")
    .input(ShareCreateInput)
    .mutation(async ({ ctx, input }) => {
      const token = newShareToken();
      const link = await ctx.db.shareLink.create({
        data: {
          tokenHash: sha256(token),
          vmId: ctx.vm.id,
          mode: input.mode,
          label: input.label,
          expiresAt: new Date(Date.now() + input.expiresInSeconds * 1000),
          singleUse: input.singleUse,
          pinHash: input.pin ? await hashPassword(input.pin) : null,
          createdById: ctx.user.id,
          createdByName: ctx.user.email,
        },
        select: { id: true, expiresAt: true },
      });
      await audit(ctx.db, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "share.create",
        vmId: ctx.vm.id,
        vmName: ctx.vm.name,
        outcome: "success",
        detail: {
          linkId: link.id,
          mode: input.mode,
          expiresAt: link.expiresAt.toISOString(),
          singleUse: input.singleUse,
          pin: !!input.pin,
        },
        ip: ctx.ip,
      });
      // The token is shown once, here; only its hash is kept.
      return { id: link.id, token, expiresAt: link.expiresAt };
    }),

  list: vmProcedure("vm.console").query(async ({ ctx }) => {
    const links = await ctx.db.shareLink.findMany({
      where: { vmId: ctx.vm.id },
      orderBy: { createdAt: "desc" },
      take: 100,
      select: { ...SHARE_LINK_SELECT, pinHash: true, createdByName: true, createdAt: true },
    });
    return links.map(({ pinHash, ...l }) => ({
      ...l,
      pin: pinHash !== null,
      status: shareStatus(l),
      viewers: displayViewers.countShare(l.id),
    }));
  }),

  revoke: vmProcedure("vm.console")
    .input(z.object({ linkId: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const revoked = await ctx.db.shareLink.updateMany({
        where: { id: input.linkId, vmId: ctx.vm.id, revokedAt: null },
        data: { revokedAt: new Date(), revokedByName: ctx.user.email },
      });
      if (revoked.count === 0) {
        const exists = await ctx.db.shareLink.findFirst({ where: { id: input.linkId, vmId: ctx.vm.id }, select: { id: true } });
        throw new TRPCError(
          exists
            ? { code: "CONFLICT", message: "That share link was revoked already" }
            : { code: "NOT_FOUND", message: "There is no such share link on this VM" },
        );
      }
      const disconnected = displayViewers.disconnectShare(input.linkId, `the share link was revoked by ${ctx.user.email}`);
      await audit(ctx.db, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "share.revoke",
        vmId: ctx.vm.id,
        vmName: ctx.vm.name,
        outcome: "success",
        detail: { linkId: input.linkId, disconnected },
        ip: ctx.ip,
      });
      return { ok: true as const, disconnected };
    }),

  /** What the share page needs before it asks for anything: whether to ask for a PIN. */
  describe: publicProcedure.input(ShareDescribeInput).query(async ({ ctx, input }) => {
    const link = await linkByToken(ctx, input.token);
    refuseUnlessGood(link, true);
    return { mode: link.mode, needsPin: link.pinHash !== null, expiresAt: link.expiresAt };
  }),

  open: publicProcedure.input(ShareOpenInput).mutation(async ({ ctx, input }) => {
    const link = await linkByToken(ctx, input.token);
    refuseUnlessGood(link, true);
    const who = { actorName: shareViewerName(link), vmId: link.vm.id, vmName: link.vm.name, ip: ctx.ip };
    if (link.pinHash) {
      if (!input.pin) throw new TRPCError({ code: "BAD_REQUEST", message: "This share link needs its PIN" });
      // Reserved before the PIN is checked: guesses sent together count against each other.
      const guess = reservePinGuess(pinLimiters, link.id, ctx.ip);
      if (!guess.allowed) {
        if (pinLimiters.audited.first(guess.refusedBy))
          await audit(ctx.db, { ...who, action: "share.open", outcome: "denied", detail: { linkId: link.id, reason: "rate-limited" } });
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `Too many wrong PINs, try again in ${guess.retryAfterS} s` });
      }
      if (!(await verifyPassword(link.pinHash, input.pin))) {
        await audit(ctx.db, { ...who, action: "share.open", outcome: "failure", detail: { linkId: link.id, reason: "wrong PIN" } });
        throw new TRPCError({ code: "UNAUTHORIZED", message: "Wrong PIN" });
      }
      guess.succeeded();
    }
    if (link.singleUse) {
      // Spent atomically: of two browsers opening it at once, one gets in.
      const spent = await ctx.db.shareLink.updateMany({ where: { id: link.id, usedAt: null }, data: { usedAt: new Date() } });
      if (spent.count === 0) throw new TRPCError({ code: "BAD_REQUEST", message: "This share link has already been used" });
    }
    await audit(ctx.db, { ...who, action: "share.open", outcome: "success", detail: { linkId: link.id, mode: link.mode } });
    const pass = await issueSharePass(ctx.db, link.id, link.expiresAt);
    return { pass, vmId: link.vm.id, vmName: link.vm.name, mode: link.mode, expiresAt: link.expiresAt };
  }),

  /** A display ticket for the holder of an opened link, checked against the link each time. */
  ticket: publicProcedure.input(ShareTicketInput).mutation(async ({ ctx, input }) => {
    const linkId = await linkOfSharePass(ctx.db, input.pass);
    if (!linkId) throw new TRPCError({ code: "UNAUTHORIZED", message: "This share session has ended; open the link again" });
    const link = await ctx.db.shareLink.findUnique({
      where: { id: linkId },
      select: { ...SHARE_LINK_SELECT, vm: { select: { id: true, name: true, hostId: true, state: true } } },
    });
    if (!link) throw new TRPCError({ code: "BAD_REQUEST", message: "This share link no longer exists (its VM was deleted)" });
    refuseUnlessGood(link, false);
    const mode = input.mode ?? link.mode;
    // A view-only link never controls, however it asks; a control link may also just watch.
    if (mode === "control" && link.mode !== "control")
      throw new TRPCError({ code: "FORBIDDEN", message: "This share link is view-only: it cannot take control" });
    return issueDisplayTicket(link.vm, { userId: "", userEmail: shareViewerName(link) }, mode, {
      takeOver: input.takeOver,
      share: { linkId: link.id, until: link.expiresAt.getTime() },
    });
  }),
});
