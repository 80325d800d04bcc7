/** The host API's single tRPC instance, its context, and the one place domain errors become tRPC codes. */
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z, ZodError } from "zod";
import {
  AlreadyExistsError,
  BadInputError,
  CancelledError,
  CapacityError,
  DomainError,
  EngineError,
  InvalidStateError,
  NotFoundError,
} from "./errors.ts";
import type { HostService } from "./service.ts";

export interface HostContext {
  service: HostService;
  /** Set by the transport once the host token checked out (tests calling createCaller set it directly). */
  authenticated: boolean;
}

// isDev false: never send stack traces to callers.
// domainError: the message was written for people (the console relays it, where it would hide a bug's).
// sse: an event stream with nothing to say still sends a ping every SSE_PING_MS, so the console's
// HTTP client (which gives up on a body silent for 5 minutes) does not drop it and mark every VM
// unknown; and the client reconnects by itself if the pings stop (a host gone without a FIN).
export const SSE_PING_MS = 10_000;
const t = initTRPC.context<HostContext>().create({
  isDev: false,
  sse: { ping: { enabled: true, intervalMs: SSE_PING_MS }, client: { reconnectAfterInactivityMs: 3 * SSE_PING_MS } },
  errorFormatter: ({ shape, error }) => ({ ...shape, data: { ...shape.data, domainError: error.cause instanceof DomainError } }),
});

const CODES: [new (...args: never[]) => DomainError, TRPC_ERROR_CODE_KEY][] = [
  [NotFoundError, "NOT_FOUND"],
  [InvalidStateError, "CONFLICT"],
  [AlreadyExistsError, "CONFLICT"],
  [BadInputError, "BAD_REQUEST"],
  [CapacityError, "PRECONDITION_FAILED"],
  [EngineError, "INTERNAL_SERVER_ERROR"],
  [CancelledError, "CLIENT_CLOSED_REQUEST"],
];

export function toTRPCError(err: unknown): TRPCError | undefined {
  if (err instanceof ZodError) return new TRPCError({ code: "BAD_REQUEST", message: z.prettifyError(err), cause: err });
  for (const [cls, code] of CODES) {
    if (err instanceof cls) return new TRPCError({ code, message: err.message, cause: err });
  }
  return undefined;
}

const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = toTRPCError(result.error.cause);
    if (mapped) throw mapped;
  }
  return result;
});

const requireToken = t.middleware(({ ctx, next }) => {
  if (!ctx.authenticated) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "missing or wrong host token (Authorization: Bearer <HOST_TOKEN>)" });
  }
  return next({ ctx });
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** Every host procedure: token required, domain errors mapped. */
export const hostProcedure = t.procedure.use(requireToken).use(mapErrors);
