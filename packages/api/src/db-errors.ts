// Prisma's "no such row", "that name is taken" and "that reference is missing / still in use" are
// the caller's situation, not a server fault: they become the domain errors that errors.ts maps
// to codes (NOT_FOUND, CONFLICT). Anything else passes through unchanged (and stays a 500).
import { InvalidState, NotFound } from "./errors.ts";

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
