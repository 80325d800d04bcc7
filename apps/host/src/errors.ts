/** Domain errors: thrown by the service, mapped to tRPC codes in one place (trpc.ts). */

export abstract class DomainError extends Error {}

/** No such VM or disk. */
export class NotFoundError extends DomainError {
  override name = "NotFoundError";
}
/** The operation is not allowed in the object's current state (e.g. starting a running VM). */
export class InvalidStateError extends DomainError {
  override name = "InvalidStateError";
}
/** The request itself is wrong: a path outside the allowed folders, a missing file, a bad size. */
export class BadInputError extends DomainError {
  override name = "BadInputError";
}
/** The name is already taken. */
export class AlreadyExistsError extends DomainError {
  override name = "AlreadyExistsError";
}
/** The host cannot give what is asked (RAM over capacity). */
export class CapacityError extends DomainError {
  override name = "CapacityError";
}
/** QEMU or qemu-img failed in a way the caller cannot fix by changing the request. */
export class EngineError extends DomainError {
  override name = "EngineError";
}
/** A long operation was cancelled at the caller's request; what it had begun is gone. */
export class CancelledError extends DomainError {
  override name = "CancelledError";
}
