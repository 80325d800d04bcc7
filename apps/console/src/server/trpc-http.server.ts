// The console's tRPC endpoint, served by the custom server itself rather than by a Next route
// (docs/decisions/0061-trpc-outside-next.md): a Next route handler runs inside Next's request
// store, and a closed event stream (vm.events) kept that store, its request and its response
// reachable, a few hundred KB a minute in the soak. Here nothing but the request itself is held.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";
import { TRPCError } from "@trpc/server";
import { appRouter, createContextInner, DB_UNAVAILABLE, isDbUnreachable } from "@guesthouse/api";
import { TRPC_MAX_BATCH } from "@guesthouse/shared/console-api";
import { consoleCert } from "./console-cert.server.ts";
import { db, hosts } from "./db.server.ts";
import { clientIp, isCrossSite, REMOTE_ADDRESS_HEADER, secureCookies, sessionUser } from "./request.server.ts";
import { logTrpcFailure } from "./log.server.ts";

export const TRPC_PATH = "/api/trpc";
/** No procedure takes more than a few KB; a larger body is refused with 413 before it is read whole. */
const MAX_BODY_BYTES = 1024 * 1024;
/** What next.config.ts sets on every page, set here on every API answer too. */
const SECURITY_HEADERS = { "x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "same-origin" };

/** The tRPC fetch handler: a cross-site mutation is refused before any procedure runs. */
export async function trpcHandler(req: Request): Promise<Response> {
  if (isCrossSite(req)) return new Response(JSON.stringify({ error: "cross-site request refused" }), { status: 403 });
  return fetchRequestHandler({
    endpoint: TRPC_PATH,
    req,
    router: appRouter,
    maxBatchSize: TRPC_MAX_BATCH,
    onError: logTrpcFailure,
    createContext: async ({ resHeaders }) =>
      createContextInner({
        db: db(),
        hosts: hosts(),
        user: await sessionUser(req.headers).catch(unavailable),
        ip: clientIp(req.headers, req.headers.get(REMOTE_ADDRESS_HEADER) ?? ""),
        resHeaders,
        secureCookies: secureCookies(req.headers),
        consoleCertSha256: consoleCert.sha256,
      }),
  });
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
