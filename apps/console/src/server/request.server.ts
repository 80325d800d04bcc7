// Facts about an incoming request that auth depends on (docs/decisions/0011-http-and-https.md).
import { findSessionUser, readCookie, sessionCookieName, type SessionUser } from "@guesthouse/api";
import { db } from "./db.server.ts";

/** Set by server.ts on every request from the socket itself, overwriting whatever the client sent. */
export const REMOTE_ADDRESS_HEADER = "x-gh-remote-address";
export const TLS_HEADER = "x-gh-tls";

type HeaderSource = Pick<Headers, "get">;

// Only trust X-Forwarded-* when an operator has put Guesthouse behind a proxy they control.
const trustProxy = () => process.env.TRUST_PROXY === "1";

/** The entry the trusted proxy appended: the rightmost; everything left of it the client could write. */
function lastForwarded(headers: HeaderSource, name: string): string | undefined {
  const value = headers.get(name)?.split(",").at(-1)?.trim();
  return value || undefined;
}

export function clientIp(headers: HeaderSource, fallback = ""): string {
  return (trustProxy() && lastForwarded(headers, "x-forwarded-for")) || fallback;
}

/** The request came over https: straight to our TLS port, or through a trusted proxy that says so. */
export function cameOverHttps(headers: HeaderSource): boolean {
  if (headers.get(TLS_HEADER) === "1") return true;
  return trustProxy() && lastForwarded(headers, "x-forwarded-proto")?.toLowerCase() === "https";
}

/** Secure exactly over https: over plain http a browser drops a Secure cookie and sign-in fails silently. */
export const secureCookies = cameOverHttps;

export function sessionUser(headers: HeaderSource): Promise<SessionUser | null> {
  return findSessionUser(db(), readCookie(headers.get("cookie"), sessionCookieName(cameOverHttps(headers))));
}

/** The operator's PUBLIC_URL origin (e.g. behind a proxy that rewrites Host), or null. */
function publicOrigin(): string | null {
  const url = process.env.PUBLIC_URL;
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null; // env.server.ts refuses a malformed PUBLIC_URL at start-up.
  }
}

/**
 * CSRF: browsers send Origin on cross-site POSTs; a state-changing request from another origin is
 * refused before it reaches a procedure or an upload (the session cookie is also SameSite=Lax).
 * Same origin means the Host the browser used (by name, by address, localhost; http or https, as
 * one port serves both), or the configured PUBLIC_URL.
 */
export function isCrossSite(req: Pick<Request, "method" | "headers">): boolean {
  if (req.method === "GET" || req.method === "HEAD") return false;
  const origin = req.headers.get("origin");
  if (origin === null) return false;
  const host = req.headers.get("host");
  if (host && (origin === `http://${host}` || origin === `https://${host}`)) return false;
  return origin !== publicOrigin();
}

const isLoopback = (address: string) => /^(127\.|::1$|::ffff:127\.)/.test(address);

/**
 * With REQUIRE_HTTPS=1, where a plain-http request from another machine is sent instead (https on
 * the same port and Host); null means serve it. This machine itself (loopback) keeps plain http,
 * and so does a trusted proxy that says its client came over https.
 */
export function httpsRedirect(req: { encrypted: boolean; remoteAddress: string; host?: string; url?: string; headers: HeaderSource }) {
  if (process.env.REQUIRE_HTTPS !== "1" || req.encrypted || isLoopback(req.remoteAddress) || !req.host) return null;
  if (cameOverHttps(req.headers)) return null;
  return `https://${req.host}${req.url ?? "/"}`;
}
