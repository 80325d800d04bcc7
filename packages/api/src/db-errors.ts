// Prisma's "no such row", "that name is taken" and "that reference is missing / still in use" are
// the caller's situation, not a server fault: they become the domain errors that errors.ts maps
// to codes (NOT_FOUND, CONFLICT). A database that is not answering (stopped, restarting, out of
// connections) is Unavailable: a 503 with words, not a 500. Anything else passes through unchanged.
import { InvalidState, NotFound, Unavailable } from "./errors.ts";

export const DB_UNAVAILABLE = "The database is not answering; try again in a moment";

// What the pg driver adapter calls a lost or refused connection; PostgreSQL's own class 08
// (connection exception) and 57P0x (shutting down, starting up) say the same.
const UNREACHABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const UNREACHABLE_MESSAGE = /Can't reach database server|Connection terminated|connection timeout|ECONNREFUSED|ECONNRESET/i;

/** Whether `error` (or what it wraps) says the database could not be reached. */
export function isDbUnreachable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 5) return false;
  // A host call's failure (the host client's error, whatever it wraps) is never the database's:
  // a host service that refuses the connection is not "the database is not answering".
  if ((error as { name?: unknown }).name === "TRPCClientError") return false;
  const e = error as {
    message?: unknown;
    code?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: string; code?: string } } };
  };
  const adapter = e.meta?.driverAdapterError?.cause ?? (e as { kind?: string; code?: string });
  if (adapter.kind && UNREACHABLE_KINDS.has(adapter.kind)) return true;
  if (adapter.kind === "postgres" && /^(08|57P0)/.test(String(adapter.code))) return true;
  if (typeof e.code === "string" && /^(P1001|P1002|P1017|ECONNREFUSED|ECONNRESET|57P0[1-3])$/.test(e.code)) return true;
  if (typeof e.message === "string" && UNREACHABLE_MESSAGE.test(e.message)) return true;
  return isDbUnreachable(e.cause, depth + 1);
}

interface KnownRequestError {
  name: "PrismaClientKnownRequestError";
  code: string;
  meta?: { modelName?: string; driverAdapterError?: { cause?: { constraint?: { index?: string } } } };
}

// Duck-typed: Next's bundle and the custom server may hold two copies of the generated client.
function isKnownRequestError(error: unknown): error is KnownRequestError {
  return (error as { name?: unknown })?.name === "PrismaClientKnownRequestError" && typeof (error as { code?: unknown }).code === "string";
}

/** "AccessGrant" → "access grant", "Vm" → "VM". */
const words = (model: string) =>
  model
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .replace(/\bvm\b/g, "VM");

/** Postgres names constraints `<Table>_<column>_key` / `<Table>_<column>_fkey`. */
function constraint(error: KnownRequestError): { table: string; column: string } | null {
  const match = /^([A-Za-z]+)_([A-Za-z0-9_]+?)_(key|fkey)$/.exec(error.meta?.driverAdapterError?.cause?.constraint?.index ?? "");
  return match ? { table: match[1]!, column: match[2]! } : null;
}

export function fromDbError(error: unknown): unknown {
  if (isDbUnreachable(error)) return new Unavailable(DB_UNAVAILABLE);
  if (!isKnownRequestError(error)) return error;
  const model = words(error.meta?.modelName ?? "record");
  const on = constraint(error);
  switch (error.code) {
    case "P2025":
      return new NotFound(`That ${model} no longer exists`);
    case "P2002":
      return new InvalidState(`A ${model} with that ${on ? words(on.column) : "value"} already exists: choose another`);
    case "P2003": {
      if (!on) return new NotFound(`Something this ${model} refers to no longer exists`);
      // The constraint sits on the table that holds the reference: writing that table means the
      // referenced row is missing; deleting another one means it is still in use there.
      const referenced = words(on.column.replace(/Id$/, ""));
      return on.table === error.meta?.modelName
        ? new NotFound(`No such ${referenced}: it may have been deleted`)
        : new InvalidState(`That ${model} is still used by a ${words(on.table)}: remove that first`);
    }
    default:
      return error;
  }
}
