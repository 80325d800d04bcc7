// The one place domain failures become tRPC error codes.
import { TRPCError } from "@trpc/server";

export class NotFound extends Error {}
export class InvalidState extends Error {}
export class BadInput extends Error {}
export class Forbidden extends Error {}

export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (error instanceof NotFound) return new TRPCError({ code: "NOT_FOUND", message: error.message });
  if (error instanceof InvalidState) return new TRPCError({ code: "CONFLICT", message: error.message });
  if (error instanceof BadInput) return new TRPCError({ code: "BAD_REQUEST", message: error.message });
  if (error instanceof Forbidden) return new TRPCError({ code: "FORBIDDEN", message: error.message });
  // Errors relayed from a host service keep their code and message (they are already user-facing).
  const shape = error as { data?: { code?: string }; message?: string };
  const relayed = shape?.data?.code;
  if (relayed && relayed !== "INTERNAL_SERVER_ERROR") {
    return new TRPCError({ code: relayed as TRPCError["code"], message: shape.message ?? "host error" });
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on the server", cause: error });
}
