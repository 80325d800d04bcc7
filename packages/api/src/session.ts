// Server-side sessions: the cookie carries a random token, the database keeps only its sha256,
// so signing out (or an admin disabling the user) revokes it at once.
import { randomBytes } from "node:crypto";
import { sha256, type Db } from "@guesthouse/db";
import type { SessionUser } from "./context.ts";

export const SESSION_COOKIE = "gh_session";
/** Over https the cookie carries the __Host- prefix: the browser then insists on Secure, Path=/ and
 * no Domain, so a plain-http page on the same host cannot plant or overwrite it. */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export async function createSession(db: Db, userId: string, meta: { ip: string; userAgent: string }) {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.session.create({ data: { tokenHash: sha256(token), userId, expiresAt, ip: meta.ip, userAgent: meta.userAgent.slice(0, 300) } });
  return { token, expiresAt };
}

export async function findSessionUser(db: Db, token: string | undefined): Promise<SessionUser | null> {
  if (!token || token.length > 200) return null;
  const session = await db.session.findUnique({
    where: { tokenHash: sha256(token) },
    select: { id: true, expiresAt: true, user: { select: { id: true, email: true, name: true, disabled: true } } },
  });
  if (!session || session.expiresAt.getTime() < Date.now() || session.user.disabled) return null;
  return { id: session.user.id, email: session.user.email, name: session.user.name, sessionId: session.id };
}

/** The cookie's name for a request that came over https (`secure`) or plain http. */
export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  const parts = [`${sessionCookieName(secure)}=${token}`, "Path=/", "HttpOnly", "SameSite=Lax", `Expires=${expiresAt.toUTCString()}`];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookieName(secure)}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? "; Secure" : ""}`;
}

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}
