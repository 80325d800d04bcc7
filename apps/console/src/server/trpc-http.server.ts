import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { TRPCError } from "@trpc/server";
import { appRouter, createContextInner, DB_UNAVAILABLE, isDbUnreachable } from "@guesthouse/api";
import { TRPC_MAX_BATCH } from "@guesthouse/shared/console-api";
import { consoleCert } from "@/server/console-cert.server";
import { db, hosts } from "@/server/db.server";
import { clientIp, isCrossSite, REMOTE_ADDRESS_HEADER, secureCookies, sessionUser } from "@/server/request.server";
import { logTrpcFailure } from "@/server/log.server";

export const dynamic = "force-dynamic";

async function handler(req: Request) {
  if (isCrossSite(req)) return new Response(JSON.stringify({ error: "cross-site request refused" }), { status: 403 });
  return fetchRequestHandler({
    endpoint: "/api/trpc",
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

export { handler as GET, handler as POST };
