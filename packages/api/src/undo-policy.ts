// Keeping, committing or discarding what a VM wrote to its undo disks, as a journaled task: asked
// for by a person, or done at power-off by the VM's policy when it is not "ask" (audited as the
// policy's doing). With "ask" the console asks the next person who looks.
import type { Db } from "@guesthouse/db";
import { audit } from "./audit.ts";
import type { HostClient } from "./host-gateway.ts";
import { runTask } from "./tasks.ts";

export type UndoChoice = "keep" | "commit" | "discard";

export interface UndoJob {
  vm: { id: string; name: string; hostId: string };
  actor: { id: string; email: string } | null;
  ip?: string;
  action: UndoChoice;
  diskIds: string[];
}

/** One task; each disk is one host call, reported as progress. */
export async function undoTask(db: Db, host: HostClient, job: UndoJob): Promise<void> {
  await runTask(
    db,
    { kind: "vm.undo", vm: job.vm, actor: job.actor, input: { action: job.action, diskIds: job.diskIds } },
    async (task) => {
      for (const [i, disk] of job.diskIds.entries()) {
        await host.disk.undo.mutate({ id: job.vm.id, disk, action: job.action });
        await task.progress(((i + 1) / job.diskIds.length) * 90, `${job.action}: disk ${i + 1} of ${job.diskIds.length} done`);
      }
      await audit(db, {
        actorId: job.actor?.id ?? null,
        actorName: job.actor?.email ?? "policy",
        action: `vm.undo.${job.action}`,
        vmId: job.vm.id,
        vmName: job.vm.name,
        outcome: "success",
        detail: job.actor ? { action: job.action } : { policy: job.action },
        ip: job.ip ?? "",
        taskId: task.id,
      });
    },
  );
}

export async function applyUndoPolicy(db: Db, host: HostClient, vmId: string): Promise<void> {
  const vm = await db.vm.findUnique({
    where: { id: vmId },
    select: { id: true, name: true, hostId: true, undoPolicy: true, disks: { where: { undoEnabled: true }, select: { id: true } } },
  });
  if (!vm || vm.undoPolicy === "ask" || vm.disks.length === 0) return;
  await undoTask(db, host, { vm, actor: null, action: vm.undoPolicy, diskIds: vm.disks.map((d) => d.id) });
}
