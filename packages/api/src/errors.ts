// The one place domain failures become tRPC error codes.
import { TRPCError } from "@trpc/server";

export class NotFound extends Error {}
export class InvalidState extends Error {}
export class BadInput extends Error {}
export class Forbidden extends Error {}
/** A part the console depends on (its database) is not answering: try again, nothing was done. */
export class Unavailable extends Error {}

export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (error instanceof NotFound) return new TRPCError({ code: "NOT_FOUND", message: error.message });
  if (error instanceof InvalidState) return new TRPCError({ code: "CONFLICT", message: error.message });
  if (error instanceof BadInput) return new TRPCError({ code: "BAD_REQUEST", message: error.message });
  if (error instanceof Forbidden) return new TRPCError({ code: "FORBIDDEN", message: error.message });
  if (error instanceof Unavailable) return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: error.message });
  // Errors relayed from a host service keep their code and message: a host's domain errors (a QEMU
  // that refused to start, a model the host cannot run) are written for people. Host paths are not.
  const shape = error as { data?: { code?: string; domainError?: boolean }; message?: string };
  const relayed = shape?.data?.code;
  if (relayed && (relayed !== "INTERNAL_SERVER_ERROR" || shape.data?.domainError)) {
    return new TRPCError({
      code: relayed as TRPCError["code"],
      message: stripHostPaths(shape.message ?? "the host refused"),
      cause: error,
    });
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on the server", cause: error });
}

/** `/srv/gh/host/vms/x/qemu.log` → `qemu.log`: where the host keeps its files is not the user's business. */
export function stripHostPaths(message: string): string {
  return message.replace(/(^|[\s'"(=:])\/(?:[\w.+-]+\/)+([\w.+-]+)/g, "$1$2");
}

/** What a person is told about a failure on one VM: the mapped message, with the VM's name for its id. */
export function messageFor(error: unknown, vm: { id: string; name: string }): string {
  return toTRPCError(error).message.replaceAll(`'${vm.id}'`, `'${vm.name}'`);
}

const MAPPED = Symbol("mapped");
/** An error already mapped (and reworded) by an inner middleware: the outer mapping leaves it alone. */
export function mapped(error: TRPCError): TRPCError {
  return Object.assign(error, { [MAPPED]: true });
}
export function isMapped(error: TRPCError): boolean {
  return MAPPED in error;
}
