// When a VM with undo disks powers off and its policy is not "ask", the policy is applied at once
// (and audited as the system's doing); with "ask" the console asks the next person who looks.
import type { Db } from "@guesthouse/db";
import { audit } from "./audit.ts";
import type { HostClient } from "./host-gateway.ts";

export async function applyUndoPolicy(db: Db, host: HostClient, vmId: string): Promise<void> {
  const vm = await db.vm.findUnique({
    where: { id: vmId },
    select: { name: true, undoPolicy: true, disks: { where: { undoEnabled: true }, select: { id: true } } },
  });
  if (!vm || vm.undoPolicy === "ask" || vm.disks.length === 0) return;
  for (const d of vm.disks) await host.disk.undo.mutate({ id: vmId, disk: d.id, action: vm.undoPolicy });
  await audit(db, {
    actorName: "policy",
    action: `vm.undo.${vm.undoPolicy}`,
    vmId,
    vmName: vm.name,
    outcome: "success",
    detail: { policy: vm.undoPolicy },
  });
}
