// What every console procedure gets: the database, the caller (if signed in), where the request
// came from, and the gateway to the host services.
import type { Db } from "@guesthouse/db";
import type { HostGateway } from "./host-gateway.ts";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  sessionId: string;
}

export interface ContextInner {
  db: Db;
  hosts: HostGateway;
  user: SessionUser | null;
  ip: string;
  /** Response headers a procedure may set (the session cookie); absent in direct calls. */
  resHeaders?: Headers;
  /** Whether the request came over https: the session cookie is then `__Host-gh_session`, Secure. */
  secureCookies: boolean;
  /** The console certificate's SHA-256 (AB:CD:…), for join commands pinned to it; absent: none. */
  consoleCertSha256?: string | null;
  /** The browser's streams WebSocket: only subscriptions run on it (queries and mutations go over HTTP). */
  streamsOnly?: boolean;
}

export function createContextInner(inner: ContextInner): ContextInner {
  return inner;
}

export type Context = ContextInner;
