// One-time join tokens (ADR 0034): an admin makes one; a new host exchanges it, once and before it
// expires, for a credential of its own. Only hashes are stored. A refused exchange changes nothing.
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { Db } from "@guesthouse/db";
import { createId } from "./ids.ts";
import { deriveHostCredential, sha256 } from "./host-credential.ts";

export function newJoinToken(): string {
  return `ghj_${randomBytes(32).toString("base64url")}`;
}

export async function createJoinToken(
  db: Db,
  opts: { createdById: string; ttlMinutes: number },
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = newJoinToken();
  const expiresAt = new Date(Date.now() + opts.ttlMinutes * 60_000);
  const row = await db.hostJoinToken.create({
    data: { tokenHash: sha256(token), createdById: opts.createdById, expiresAt },
    select: { id: true },
  });
  return { id: row.id, token, expiresAt };
}

export type JoinRefusal = "forged" | "expired" | "used" | "revoked" | "name-taken" | "url-taken";

export class JoinRefused extends TRPCError {
  constructor(
    readonly why: JoinRefusal,
    message: string,
    code: TRPCError["code"],
  ) {
    super({ code, message });
  }
}

/** Why this token cannot be used now, or null; read before the exchange so the refusal says which. */
async function refusalFor(db: Db, token: string, name: string, url: string): Promise<JoinRefused | null> {
  const row = await db.hostJoinToken.findUnique({
    where: { tokenHash: sha256(token) },
    select: { expiresAt: true, usedAt: true, revokedAt: true },
  });
  if (!row) return new JoinRefused("forged", "This join token was not made by this console: make one on its Hosts page", "UNAUTHORIZED");
  if (row.revokedAt)
    return new JoinRefused("revoked", `This join token was revoked (at ${row.revokedAt.toISOString()}): make a new one`, "FORBIDDEN");
  if (row.usedAt)
    return new JoinRefused("used", `This join token was already used (at ${row.usedAt.toISOString()}): make a new one`, "CONFLICT");
  if (row.expiresAt <= new Date())
    return new JoinRefused("expired", `This join token expired at ${row.expiresAt.toISOString()}: make a new one`, "FORBIDDEN");
  if (await db.host.findUnique({ where: { name }, select: { id: true } }))
    return new JoinRefused("name-taken", `name: a host named '${name}' is already registered`, "CONFLICT");
  if (await db.host.findUnique({ where: { url }, select: { id: true } }))
    return new JoinRefused("url-taken", `url: a host at ${url} is already registered`, "CONFLICT");
  return null;
}

/**
 * Exchanges a join token for a new host's row and credential. The token is spent in the transaction
 * that makes the host, on the condition that it is still unspent and unexpired, so two hosts racing
 * with one token get one host between them.
 */
export async function redeemJoinToken(
  db: Db,
  consoleSecret: string,
  input: { token: string; name: string; url: string },
): Promise<{ hostId: string; credential: string }> {
  const refused = await refusalFor(db, input.token, input.name, input.url);
  if (refused) throw refused;
  const hostId = createId();
  const credential = deriveHostCredential(consoleSecret, hostId);
  await db.$transaction(async (tx) => {
    const spent = await tx.hostJoinToken.updateMany({
      where: { tokenHash: sha256(input.token), usedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
      data: { usedAt: new Date(), hostName: input.name },
    });
    if (spent.count !== 1) throw new JoinRefused("used", "This join token was used or revoked a moment ago: make a new one", "CONFLICT");
    await tx.host.create({ data: { id: hostId, name: input.name, url: input.url, tokenHash: sha256(credential) } });
  });
  return { hostId, credential };
}

/** How long a token stays listed after it expired, was used or was revoked. */
const LISTED_FOR_MS = 7 * 24 * 3_600_000;

export type JoinTokenStatus = "waiting" | "used" | "expired" | "revoked";

/** The join tokens of the last week, newest first, with what became of each (never the token itself). */
export async function listJoinTokens(db: Db) {
  const rows = await db.hostJoinToken.findMany({
    where: { createdAt: { gt: new Date(Date.now() - LISTED_FOR_MS) } },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      createdAt: true,
      expiresAt: true,
      usedAt: true,
      revokedAt: true,
      hostName: true,
      createdBy: { select: { email: true } },
    },
  });
  const now = new Date();
  return rows.map(({ createdBy, ...t }) => ({
    ...t,
    createdBy: createdBy?.email ?? null,
    status: (t.revokedAt ? "revoked" : t.usedAt ? "used" : t.expiresAt <= now ? "expired" : "waiting") as JoinTokenStatus,
  }));
}

/** Revokes a token no host has used yet; a used one is refused (remove the host instead). */
export async function revokeJoinToken(db: Db, tokenId: string): Promise<void> {
  const row = await db.hostJoinToken.findUnique({ where: { id: tokenId }, select: { usedAt: true, hostName: true, revokedAt: true } });
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "tokenId: no such join token" });
  if (row.revokedAt) return;
  const revoked = await db.hostJoinToken.updateMany({ where: { id: tokenId, usedAt: null }, data: { revokedAt: new Date() } });
  if (revoked.count === 0)
    throw new TRPCError({
      code: "CONFLICT",
      message: `tokenId: this join token was already used by host '${row.hostName ?? "?"}'; remove the host instead`,
    });
}
