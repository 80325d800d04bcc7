/** The host enforces the one table of VM operations (packages/shared/src/vm-operations.ts). */
import type { VmState } from "@guesthouse/shared/vm";
import { refusal, type VmOperationName } from "@guesthouse/shared/vm-operations";
import { InvalidStateError } from "./errors.ts";

export function assertAllowed(op: VmOperationName, id: string, state: VmState): void {
  const why = refusal(op, id, state);
  if (why) throw new InvalidStateError(why);
}
