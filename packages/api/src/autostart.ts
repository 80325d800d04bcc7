// Start at boot (Proxmox's "start at boot" with its order): when a host's machine has booted again
// — its kernel boot id differs from the one the console last saw — the VMs marked autostart are
// started one after the other, lowest start order first, each as a task of the system's. A saved
// (suspended) VM is restored rather than started. The work runs as a pg-boss job
// (docs/decisions/0043-start-at-boot-as-a-queued-job.md), so a console that restarts half-way still does it.
import type { Db } from "@guesthouse/db";
import { audit } from "./audit.ts";
import { messageFor } from "./errors.ts";
import type { HostClient } from "./host-gateway.ts";
import { runTask } from "./tasks.ts";

export const AUTOSTART_JOB = "host-autostart";

export interface AutostartJob {
  hostId: string;
  bootId: string;
}

/**
 * Records the host machine's boot id; true only for the one caller that saw a machine seen before
 * come back with a new boot (the update is a compare-and-swap on the old id), which then queues
 * the job. A first sighting is not a reboot: nothing was running there for the console before.
 */
export async function noteHostBoot(db: Db, hostId: string, bootId: string): Promise<boolean> {
  const row = await db.host.findUnique({ where: { id: hostId }, select: { name: true, bootId: true } });
  if (!row || row.bootId === bootId) return false;
  const swapped = await db.host.updateMany({ where: { id: hostId, bootId: row.bootId }, data: { bootId } });
  if (swapped.count === 0 || row.bootId === null) return false;
  await audit(db, { actorName: "system", action: "host.booted", outcome: "success", detail: { host: row.name, bootId } });
  return true;
}

export interface AutostartOutcome {
  started: string[];
  failed: { name: string; error: string }[];
}

/** Starts (or restores) the host's autostart VMs that are down, in order; one failing does not stop the rest. */
export async function autostartHost(db: Db, host: HostClient, hostId: string): Promise<AutostartOutcome> {
  const vms = await db.vm.findMany({
    where: { hostId, autostart: true },
    orderBy: [{ startOrder: "asc" }, { name: "asc" }],
    select: { id: true, name: true, hostId: true, startOrder: true },
  });
  const outcome: AutostartOutcome = { started: [], failed: [] };
  for (const vm of vms) {
    const view = await host.vm.get.query({ id: vm.id }).catch(() => null);
    if (view?.state !== "stopped" && view?.state !== "suspended") continue;
    const op = view.state === "suspended" ? "restore" : "start";
    try {
      await runTask(db, { kind: `vm.${op}`, vm, actor: null }, async (task) => {
        await task.log(`the host's machine booted again: start at boot, order ${vm.startOrder}`);
        await (op === "restore" ? host.vm.restore.mutate({ id: vm.id }) : host.vm.start.mutate({ id: vm.id }));
      });
      await audit(db, { actorName: "autostart", action: `vm.${op}`, vmId: vm.id, vmName: vm.name, outcome: "success" });
      outcome.started.push(vm.name);
    } catch (error) {
      const message = messageFor(error, vm);
      await audit(db, {
        actorName: "autostart",
        action: `vm.${op}`,
        vmId: vm.id,
        vmName: vm.name,
        outcome: "failure",
        detail: { error: message },
      });
      outcome.failed.push({ name: vm.name, error: message });
    }
  }
  return outcome;
}
