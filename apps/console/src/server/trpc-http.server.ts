// The console's tRPC endpoint, served by the custom server itself rather than by a Next route
// (docs/decisions/0061-trpc-outside-next.md): a Next route handler runs inside Next's request
// store, and a closed event stream (vm.events) kept that store, its request and its response
// reachable, a few hundred KB a minute in the soak. Here nothing but the request itself is held.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { WebSocketServer } from "ws";
import { TRPCError } from "@trpc/server";
import { appRouter, createContextInner, DB_UNAVAILABLE, isDbUnreachable } from "@guesthouse/api";
import { liveAccess } from "@guesthouse/api/live-access";
import { TRPC_MAX_BATCH } from "@guesthouse/shared/console-api";
import { consoleCert } from "./console-cert.server.ts";
import { db, hosts } from "./db.server.ts";
import { clientIp, isCrossSite, REMOTE_ADDRESS_HEADER, secureCookies, sessionUser } from "./request.server.ts";
import { logTrpcFailure } from "./log.server.ts";

export const TRPC_PATH = "/api/trpc";
/** The browser's live streams (subscriptions) over one WebSocket per tab (ADR 0061). */
export const TRPC_WS_PATH = "/api/trpc-ws";
/** No procedure takes more than a few KB; a larger body is refused with 413 before it is read whole. */
const MAX_BODY_BYTES = 1024 * 1024;
/** What next.config.ts sets on every page, set here on every API answer too. */
const SECURITY_HEADERS = { "x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "same-origin" };

/** What every procedure gets, from the request's headers (cookie, address, protocol). */
async function contextFor(headers: Headers, resHeaders?: Headers, streamsOnly = false) {
  return createContextInner({
    db: db(),
    hosts: hosts(),
    user: await sessionUser(headers).catch(unavailable),
    ip: clientIp(headers, headers.get(REMOTE_ADDRESS_HEADER) ?? ""),
    resHeaders,
    secureCookies: secureCookies(headers),
    consoleCertSha256: consoleCert.sha256,
    streamsOnly,
  });
}

/** The tRPC fetch handler: a cross-site mutation is refused before any procedure runs. */
export async function trpcHandler(req: Request): Promise<Response> {
  if (isCrossSite(req)) return new Response(JSON.stringify({ error: "cross-site request refused" }), { status: 403 });
  return fetchRequestHandler({
    endpoint: TRPC_PATH,
    req,
    router: appRouter,
    maxBatchSize: TRPC_MAX_BATCH,
    onError: logTrpcFailure,
    createContext: ({ resHeaders }) => contextFor(req.headers, resHeaders),
  });
}

// Browsers open at most six HTTP/1.1 connections to one origin, across all its tabs, and each SSE
// stream holds one: three VM pages (events, tasks, serial) left no connection for anything else.
// WebSockets do not count against that limit, so the browser's subscriptions share one per tab.
const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
applyWSSHandler({
  wss,
  router: appRouter,
  onError: logTrpcFailure,
  keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
  // The connection's session is read once. live-access.ts checks it again before each stream on it
  // yields anything, and watches the connection itself: once the session ends the socket is closed,
  // and the browser reconnects with whatever cookie it has then.
  createContext: async ({ req, res }) => {
    const ctx = await contextFor(headersOf(req), undefined, true);
    if (ctx.user) {
      const unregister = liveAccess.register(
        { sessionId: ctx.user.sessionId, userId: ctx.user.id, end: (reason) => res.close(4401, reason.slice(0, 120)) },
        db(),
      );
      res.once("close", unregister);
    }
    return ctx;
  },
});

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers))
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  return headers;
}

/** The upgrade to the subscriptions WebSocket: the cookie signs it in, so another site's page may not open it. */
export function handleTrpcUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  if (isCrossSite({ method: "UPGRADE", headers: headersOf(req) })) {
    socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\ncross-site WebSocket refused");
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
}

// The session lookup runs before any procedure: a database that is down is a 503 here too, not a 500.
function unavailable(error: unknown): never {
  if (isDbUnreachable(error)) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: DB_UNAVAILABLE, cause: error });
  throw error;
}

/** Serves one HTTP request to /api/trpc/…: the answer's body streams until it ends or the client goes. */
export async function serveTrpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Aborts the request's signal when the client goes, which ends a subscription's stream.
  const request = incomingMessageToRequest(req, res, { maxBodySize: MAX_BODY_BYTES });
  const response = await trpcHandler(request);
  res.statusCode = response.status;
  for (const [name, value] of response.headers) if (name !== "set-cookie") res.setHeader(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  if (!response.body) return void res.end();
  // The client going away ends the pipeline with an error; that is its business, not a failure here.
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream), res).catch(() => res.destroy());
}
