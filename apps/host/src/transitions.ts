/** Which operation is allowed in which state, and what to tell the caller when it is not. */
import type { VmState } from "@guesthouse/shared/vm";
import { InvalidStateError } from "./errors.ts";

export type VmOp =
  | "update"
  | "start"
  | "shutdown"
  | "powerOff"
  | "reset"
  | "pause"
  | "resume"
  | "save"
  | "restore"
  | "discardSaved"
  | "delete"
  | "screendump"
  | "serialWrite"
  | "diskResizeLive";

const ALLOWED: Record<VmOp, readonly VmState[]> = {
  update: ["stopped"],
  start: ["stopped"],
  shutdown: ["running"],
  powerOff: ["running", "paused", "stopping"],
  reset: ["running", "paused"],
  pause: ["running"],
  resume: ["paused"],
  save: ["running", "paused"],
  restore: ["suspended"],
  discardSaved: ["suspended"],
  delete: ["stopped", "suspended"],
  screendump: ["running", "paused"],
  serialWrite: ["running", "paused"],
  diskResizeLive: ["running", "paused"],
};

const LIVE: readonly VmState[] = ["running", "paused"];
const BUSY: readonly VmState[] = ["starting", "stopping", "saving"];

export function isAllowed(op: VmOp, state: VmState): boolean {
  return ALLOWED[op].includes(state);
}

export function assertAllowed(op: VmOp, id: string, state: VmState): void {
  if (!isAllowed(op, state)) throw new InvalidStateError(refusal(op, id, state));
}

export function refusal(op: VmOp, id: string, state: VmState): string {
  const vm = `VM '${id}'`;
  if (BUSY.includes(state)) return `${vm} is busy (${state}); try again when that has finished`;
  if (op === "start" && state === "running") return `${vm} is already running`;
  if (op === "start" && state === "paused") return `${vm} is already running (paused); resume it instead`;
  if (op === "start" && state === "suspended")
    return `${vm} has a saved state; restore it, or discard the saved state before a fresh start`;
  if (op === "pause" && state === "paused") return `${vm} is already paused`;
  if (op === "resume" && state === "running") return `${vm} is already running`;
  if (op === "shutdown" && state === "paused") return `${vm} is paused and cannot react to a shutdown request; resume it or power it off`;
  if (op === "restore" || op === "discardSaved") return `${vm} has no saved state (it is ${state})`;
  if (op === "update" && LIVE.includes(state)) return `${vm} is ${state}; power it off before changing its hardware`;
  if (op === "update" && state === "suspended")
    return `${vm} has a saved state; restore it and shut it down, or discard the saved state, before changing its hardware`;
  if (op === "delete" && LIVE.includes(state)) return `${vm} is ${state}; power it off before deleting it`;
  if (state === "stopped" || state === "suspended") return `${vm} is not running (it is ${state})`;
  return `cannot ${op} ${vm} while it is ${state}`;
}
