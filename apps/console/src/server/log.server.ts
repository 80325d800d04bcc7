// The console's one logger: pino, structured JSON on stdout, like the host service's. Next's
// bundled copy of this module and the custom server's are two instances in one process
// (docs/machine-facts.md, "module state is not shared"), so the root logger is made processWide.
import { randomUUID } from "node:crypto";
import { pino, type Logger } from "pino";
import type { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError } from "zod";
import { processWide } from "@guesthouse/shared/process-wide";
import { env } from "../env.server.ts";

export function log(): Logger {
  return processWide("log", () => pino({ level: env().LOG_LEVEL, base: { service: "console" } }));
}

// One child per request, so every line a request writes carries the same id. Keyed by the
// request object itself: nothing to clean up when it is gone.
const perRequest = new WeakMap<object, Logger>();

export function requestLog(req: object, parent: Logger = log()): Logger {
  let child = perRequest.get(req);
  if (!child) perRequest.set(req, (child = parent.child({ requestId: randomUUID() })));
  return child;
}

/** A failed input parse carries the raw ZodError JSON as its message: one line per field instead. */
function readable(error: TRPCError): string {
  if (!(error.cause instanceof ZodError)) return error.message;
  return error.cause.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

/** tRPC's onError: a server error with its cause (and stack), a refused call as one info line. */
export function logTrpcFailure(
  { error, path, type, req }: { error: TRPCError; path: string | undefined; type: string; req: object },
  parent?: Logger,
): void {
  const status = getHTTPStatusCodeFromError(error);
  const entry = { path: path ?? null, type, code: error.code, status };
  const logger = requestLog(req, parent);
  if (status >= 500) logger.error({ ...entry, err: error.cause ?? error }, error.message);
  else logger.info(entry, readable(error));
}
