// Facts about an incoming request that auth depends on.
import { findSessionUser, readCookie, SESSION_COOKIE, type SessionUser } from "@guesthouse/api";
import { db } from "./db.server.ts";

export function clientIp(headers: Headers, fallback = ""): string {
  // Only trust X-Forwarded-For when an operator has put Guesthouse behind a proxy they control.
  return process.env.TRUST_PROXY === "1" ? (headers.get("x-forwarded-for")?.split(",")[0]?.trim() ?? fallback) : fallback;
}

export function secureCookies(url: URL): boolean {
  return url.protocol === "https:" || url.hostname === "localhost";
}

export function sessionUser(cookieHeader: string | null): Promise<SessionUser | null> {
  return findSessionUser(db(), readCookie(cookieHeader, SESSION_COOKIE));
}

/**
 * CSRF: browsers send Origin on cross-site POSTs; a state-changing request from another origin is
 * refused before it reaches a procedure or an upload (the session cookie is also SameSite=Lax).
 */
export function isCrossSite(req: Request): boolean {
  if (req.method === "GET" || req.method === "HEAD") return false;
  const origin = req.headers.get("origin");
  if (origin === null) return false;
  const host = req.headers.get("host");
  return origin !== new URL(req.url).origin && origin !== `http://${host}` && origin !== `https://${host}`;
}
