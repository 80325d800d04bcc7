/** The in-memory picture of one VM, and how QEMU's own words map onto our reasons. */
import type { QemuInstance, ExitInfo } from "@guesthouse/qemu/instance";
import type { VmReason, VmSpec, VmState } from "@guesthouse/shared/vm";
import type { SerialConsole } from "./serial-console.ts";

export interface VmRecord {
  id: string;
  spec: VmSpec;
  state: VmState;
  reason: VmReason;
  /** ms since epoch of the last state change */
  since: number;
  /** Version of the last state event (see VmStateEvent.version). */
  version: number;
  instance: QemuInstance | undefined;
  serial: SerialConsole;
  /** What the next QEMU exit means; set by the operation that causes it. */
  expectExit: { state: "stopped" | "suspended"; reason: VmReason } | undefined;
}

/** Reason for an exit no operation asked for, from QEMU's SHUTDOWN cause (none at all: it died). */
export function unrequestedExitReason(info: ExitInfo): VmReason {
  switch (info.shutdown?.reason) {
    case "guest-shutdown":
      return "guest-shutdown";
    case "host-signal":
      return "killed";
    case "host-qmp-quit":
    case "host-ui":
      return "powered-off";
    default:
      return "crashed";
  }
}

/** QEMU's RunState (query-status) → our state, for a QEMU we reattach to. */
export function stateFromRunState(status: string): VmState {
  if (status === "running") return "running";
  if (status === "shutdown") return "stopping";
  return "paused";
}

/** A reason for a SHUTDOWN event nobody asked for, while the guest is on its way out. */
export function shutdownEventReason(data: Record<string, unknown>): VmReason {
  return unrequestedExitReason({ shutdown: { guest: data.guest === true, reason: String(data.reason ?? "none") } });
}
