// The console's only writer of a VM's power state: what the VM's host reported, in the host's order.
// A state is recorded only if its version is newer than the one the row has (or the row says
// `unknown`), so a late event or a slow reconcile can never put back an older state.
import type { Db } from "@guesthouse/db";
import type { PowerState } from "@guesthouse/shared/vm-operations";
import { vmBus } from "./vm-bus.ts";

export type { PowerState };

/** `hostId`: the host that reported it; a host the VM has moved away from is not listened to. */
export async function recordVmState(
  db: Db,
  vmId: string,
  state: PowerState,
  reason: string,
  version: number,
  hostId?: string,
): Promise<boolean> {
  const v = BigInt(version);
  const updated = await db.vm.updateMany({
    where: {
      id: vmId,
      ...(hostId ? { hostId } : {}),
      OR: [{ stateVersion: { lt: v } }, { state: "unknown" }],
      NOT: { state, stateReason: reason, stateVersion: v },
    },
    data: { state, stateReason: reason, stateVersion: v },
  });
  if (updated.count > 0) vmBus.publish({ type: "state", vmId, state, reason, at: Date.now() });
  return updated.count > 0;
}

/** A host that cannot be reached: its VMs' states are unknown (never "stopped"), until it reports again. */
export async function markHostUnknown(db: Db, hostId: string): Promise<number> {
  const rows = await db.vm.findMany({ where: { hostId, NOT: { state: "unknown" } }, select: { id: true } });
  if (rows.length === 0) return 0;
  await db.vm.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { state: "unknown", stateReason: "host-unreachable" } });
  for (const { id } of rows) vmBus.publish({ type: "state", vmId: id, state: "unknown", reason: "host-unreachable", at: Date.now() });
  return rows.length;
}
