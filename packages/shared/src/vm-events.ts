import type { VmId, VmReason, VmState } from "./vm.ts";

/** A VM's state changed (or it was reset, which keeps the state but is still news). */
export interface VmStateEvent {
  type: "state";
  vmId: VmId;
  state: VmState;
  previous: VmState;
  reason: VmReason;
  /** ms since epoch */
  at: number;
}

export interface VmRemovedEvent {
  type: "removed";
  vmId: VmId;
  at: number;
}

export type VmEvent = VmStateEvent | VmRemovedEvent;
