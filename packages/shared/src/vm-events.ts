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
  /**
   * The order of this state among all of the VM's states: the host's event id, which grows across
   * service restarts (it starts from the clock). A consumer never lets a lower version overwrite a
   * higher one, so a late event cannot undo a newer state.
   */
  version: number;
}

export interface VmRemovedEvent {
  type: "removed";
  vmId: VmId;
  at: number;
}

export type VmEvent = VmStateEvent | VmRemovedEvent;
