// Records what a host reports about a VM and tells live subscribers (the console's event bus).
import type { Db } from "@guesthouse/db";
import { vmBus } from "./vm-bus.ts";

export type PowerState = "stopped" | "starting" | "running" | "paused" | "saving" | "suspended" | "stopping" | "unknown";

export async function recordVmState(db: Db, vmId: string, state: PowerState, reason: string): Promise<void> {
  const updated = await db.vm.updateMany({ where: { id: vmId }, data: { state, stateReason: reason } });
  if (updated.count > 0) vmBus.publish({ type: "state", vmId, state, reason, at: Date.now() });
}
