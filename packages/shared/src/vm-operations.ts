// The one table of VM operations: in which power states each is allowed, what it leads to, which
// permission it needs, and what to say when it is refused. The host enforces it, the console's
// base procedure checks it, and the UI derives its buttons (and why a button is disabled) from it.
import type { VmPermission } from "./permissions.ts";
import type { VmState } from "./vm.ts";

/** What the console can know of a VM: the host's states, or `unknown` while its host is unreachable. */
export type PowerState = VmState | "unknown";

export interface VmOperation {
  /** Button label in the console. */
  label: string;
  allowedIn: readonly VmState[];
  /** The state it leads to; `same`: the state does not change; `gone`: the VM no longer exists. */
  leadsTo: VmState | "same" | "gone";
  permission: VmPermission;
  /** Shown as a power button. */
  power?: boolean;
}

const LIVE = ["running", "paused"] as const satisfies readonly VmState[];
const BUSY: readonly VmState[] = ["starting", "stopping", "saving"];

export const VM_OPERATIONS = {
  start: { label: "Start", allowedIn: ["stopped"], leadsTo: "running", permission: "vm.power", power: true },
  restore: { label: "Restore", allowedIn: ["suspended"], leadsTo: "running", permission: "vm.power", power: true },
  shutdown: { label: "Shut down", allowedIn: ["running"], leadsTo: "stopped", permission: "vm.power", power: true },
  // A slow ACPI shutdown must never stand in the way of pulling the plug.
  powerOff: { label: "Power off", allowedIn: ["running", "paused", "stopping"], leadsTo: "stopped", permission: "vm.power", power: true },
  reset: { label: "Reset", allowedIn: LIVE, leadsTo: "same", permission: "vm.power", power: true },
  pause: { label: "Pause", allowedIn: ["running"], leadsTo: "paused", permission: "vm.power", power: true },
  resume: { label: "Resume", allowedIn: ["paused"], leadsTo: "running", permission: "vm.power", power: true },
  save: { label: "Save state", allowedIn: LIVE, leadsTo: "suspended", permission: "vm.power", power: true },
  discardSaved: { label: "Discard saved state", allowedIn: ["suspended"], leadsTo: "stopped", permission: "vm.power" },
  snapshotTake: {
    label: "Take snapshot",
    allowedIn: ["stopped", "running", "paused", "suspended"],
    leadsTo: "same",
    permission: "vm.snapshot",
  },
  snapshotRevert: { label: "Revert", allowedIn: ["stopped", "running", "paused"], leadsTo: "same", permission: "vm.snapshot" },
  snapshotDelete: {
    label: "Delete snapshot",
    allowedIn: ["stopped", "running", "paused", "suspended"],
    leadsTo: "same",
    permission: "vm.snapshot",
  },
  makeTemplate: { label: "Make template", allowedIn: ["stopped", "running", "paused"], leadsTo: "gone", permission: "vm.delete" },
  delete: { label: "Delete", allowedIn: ["stopped", "suspended"], leadsTo: "gone", permission: "vm.delete" },
  update: { label: "Save settings", allowedIn: ["stopped"], leadsTo: "same", permission: "vm.config" },
  setUndo: { label: "Save undo settings", allowedIn: ["stopped"], leadsTo: "same", permission: "vm.config" },
  undo: { label: "Apply undo choice", allowedIn: ["stopped"], leadsTo: "same", permission: "vm.power" },
  media: { label: "Change CD-ROM", allowedIn: ["stopped", "running", "paused"], leadsTo: "same", permission: "vm.config" },
  console: { label: "Open console", allowedIn: LIVE, leadsTo: "same", permission: "vm.console.view" },
  serialWrite: { label: "Type on serial", allowedIn: LIVE, leadsTo: "same", permission: "vm.console" },
  screendump: { label: "Screenshot", allowedIn: LIVE, leadsTo: "same", permission: "vm.view" },
  diskResizeLive: { label: "Grow disk", allowedIn: LIVE, leadsTo: "same", permission: "vm.config" },
  // Hot-plug is not offered yet, and a saved state's devices must match the VM's: NICs change only while stopped.
  // Hot-plugged while running (docs/decisions/0057); a paused guest could not answer an unplug.
  nicAdd: { label: "Add NIC", allowedIn: ["stopped", "running"], leadsTo: "same", permission: "vm.config" },
  nicRemove: { label: "Remove NIC", allowedIn: ["stopped", "running"], leadsTo: "same", permission: "vm.config" },
  nicLink: { label: "Set NIC link", allowedIn: ["stopped", "running", "paused"], leadsTo: "same", permission: "vm.config" },
  // Running or paused: live; stopped: cold (its disk files are copied). A saved state does not travel.
  migrate: { label: "Move…", allowedIn: ["stopped", "running", "paused"], leadsTo: "same", permission: "vm.migrate" },
} as const satisfies Record<string, VmOperation>;

export type VmOperationName = keyof typeof VM_OPERATIONS;

export function isAllowed(op: VmOperationName, state: PowerState): boolean {
  return state !== "unknown" && (VM_OPERATIONS[op].allowedIn as readonly VmState[]).includes(state);
}

/** Why `op` cannot run on `vm` (its name or id) in `state`; undefined when it can. */
export function refusal(op: VmOperationName, vm: string, state: PowerState): string | undefined {
  if (isAllowed(op, state)) return undefined;
  const it = `VM '${vm}'`;
  if (state === "unknown") return `${it} is on a host that cannot be reached; its state is unknown`;
  if (BUSY.includes(state)) return `${it} is busy (${state}); try again when that has finished`;
  const live = (LIVE as readonly VmState[]).includes(state);
  switch (op) {
    case "start":
      if (state === "running") return `${it} is already running`;
      if (state === "paused") return `${it} is already running (paused); resume it instead`;
      return `${it} has a saved state; restore it, or discard the saved state before a fresh start`;
    case "pause":
      return state === "paused" ? `${it} is already paused` : `${it} is not running (it is ${state})`;
    case "resume":
      return state === "running" ? `${it} is already running` : `${it} is not paused (it is ${state})`;
    case "shutdown":
      if (state === "paused") return `${it} is paused and cannot react to a shutdown request; resume it or power it off`;
      break;
    case "restore":
    case "discardSaved":
      return `${it} has no saved state (it is ${state})`;
    case "update":
    case "setUndo":
    case "undo": {
      const what =
        op === "update"
          ? "changing its hardware"
          : op === "setUndo"
            ? "changing its undo disks"
            : "choosing what happens to its undo disks";
      if (live) return `${it} is ${state}; power it off before ${what}`;
      return `${it} has a saved state; restore it and shut it down, or discard the saved state, before ${what}`;
    }
    case "delete":
      return `${it} is ${state}; power it off before deleting it`;
    case "nicAdd":
    case "nicRemove": {
      const what = op === "nicAdd" ? "adding a NIC" : "removing a NIC";
      if (live) return `${it} is ${state}; resume it, or power it off, before ${what} (a paused guest cannot answer a hot-plug)`;
      return `${it} has a saved state made with its present NICs; restore it and shut it down, or discard the saved state, before ${what}`;
    }
    case "snapshotRevert":
      return `${it} has a saved state; restore it or discard the saved state before reverting to a snapshot`;
    case "makeTemplate":
      return `${it} has a saved state; restore it or discard the saved state first`;
    case "console":
      return `${it} is ${state}: start it to see its screen`;
    case "migrate":
      return `${it} has a saved state, which does not travel; restore it and move it running, or discard the saved state and move it stopped`;
    default:
      break;
  }
  if (state === "stopped" || state === "suspended") return `${it} is not running (it is ${state})`;
  return `cannot ${VM_OPERATIONS[op].label.toLowerCase()} ${it} while it is ${state}`;
}

/** The power buttons for a VM in `state`: each with why it is disabled, if it is. */
export function powerButtons(state: PowerState, vmName: string): { op: VmOperationName; label: string; disabledReason?: string }[] {
  return (Object.keys(VM_OPERATIONS) as VmOperationName[])
    .filter((op) => (VM_OPERATIONS[op] as VmOperation).power)
    .map((op) => ({ op, label: VM_OPERATIONS[op].label, disabledReason: refusal(op, vmName, state) }));
}
