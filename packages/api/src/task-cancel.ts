// Cancelling a long task (docs/decisions/0047-host-progress-and-cancellation.md). The request is
// journaled first — `cancelRequestedBy` in the task's input, and a log line — then the host is
// asked to stop the operation, which removes what it had begun and fails; the task that waited on
// it then ends `cancelled` (runTask). A console that dies in between leaves the request in the
// row: reconciliation closes the task `cancelled` when the host's half was undone.
import type { Db, Prisma } from "@guesthouse/db";
import type { Permission } from "@guesthouse/shared/permissions";
import { VM_OPERATIONS } from "@guesthouse/shared/vm-operations";
import type { HostClient, HostGateway } from "./host-gateway.ts";
import { crashPoint } from "@guesthouse/shared/crash-point";
import { processWide } from "@guesthouse/shared/process-wide";
import { taskBus } from "./task-bus.ts";

interface CancellableTask {
  kind: string;
  vmId: string | null;
  input: Prisma.JsonValue | null;
}

/** A task as requestCancel needs it. */
export interface TaskToCancel extends CancellableTask {
  id: string;
  hostId: string | null;
}

interface CancelRule {
  permission: Permission;
  /** The id the host knows the operation by; none when this one has nothing long to stop. */
  hostOpId: (t: CancellableTask) => string | undefined;
  /** The host that runs it, when not the task's own (a cold move's copy runs at the target). */
  hostIdOf?: (t: CancellableTask) => string | undefined;
  /** Run by this console itself (an upload it relays): stopped here, no host is asked. */
  here?: true;
  /** How the host stops it, when not with `vm.cancel` of its host op id; true if something stopped. */
  stop?: (host: HostClient, t: CancellableTask) => Promise<boolean>;
  /** A task made of child tasks (an evacuation's moves): each running child is cancelled in turn. */
  children?: true;
}

/** Long work this console runs itself, by task id: what aborts it (an upload's relay to the host). */
const runningHere = processWide("task-cancel-here", () => new Map<string, AbortController>());

/** Lets task.cancel stop `taskId` by aborting `abort`; call the returned function when the work ends. */
export function cancellableHere(taskId: string, abort: AbortController): () => void {
  runningHere.set(taskId, abort);
  return () => {
    if (runningHere.get(taskId) === abort) runningHere.delete(taskId);
  };
}

/** The tasks that can be cancelled: the permission it takes, and the id the host knows the operation by. */
export const CANCELLABLE: Record<string, CancelRule> = {
  "vm.save": { permission: VM_OPERATIONS.save.permission, hostOpId: (t) => t.vmId ?? undefined },
  // A capture copies the RAM state and flattens linked clones' disks; a cancel leaves the VM as it was.
  "template.capture": { permission: VM_OPERATIONS.makeTemplate.permission, hostOpId: (t) => t.vmId ?? undefined },
  // A cold move's disk copy runs at the target; a live move's RAM and disks are sent by the source.
  "vm.migrate": {
    permission: "vm.migrate",
    hostOpId: (t) => t.vmId ?? undefined,
    hostIdOf: (t) => {
      const p = (t.input ?? {}) as { mode?: string; sourceHostId?: string; targetHostId?: string };
      return p.mode === "cold" ? p.targetHostId : p.sourceHostId;
    },
    stop: async (host, t) => {
      if (((t.input ?? {}) as { mode?: string }).mode === "cold") return byVmCancel(host, t);
      await host.migration.cancel.mutate({ id: t.vmId ?? "" });
      return true;
    },
  },
  // An evacuation (or move-back) queues no more moves once it is marked, and its running moves are cancelled.
  "host.evacuate": { permission: "host.admin", hostOpId: () => "moves", children: true },
  "host.moveBack": { permission: "host.admin", hostOpId: () => "moves", children: true },
  // An upload this console relays to the host: the relay is aborted, the host removes the partial file.
  "media.upload": { permission: "media.upload", hostOpId: () => "relay", here: true },
  // A VM made from a disk image copies it first (disk-import.ts); a blank disk is made at once.
  "vm.create": {
    permission: "vm.create",
    hostOpId: (t) => {
      const p = (t.input ?? {}) as { diskId?: string | null; importing?: string };
      return p.importing && p.diskId ? p.diskId : undefined;
    },
  },
  // Only a full clone copies the disks; linked and instant clones are quick.
  "template.clone": {
    permission: "vm.create",
    hostOpId: (t) => {
      const p = (t.input ?? {}) as { vmId?: string; mode?: string };
      return p.mode === "full" ? p.vmId : undefined;
    },
  },
};

/** The host's long operation under the task's host op id is stopped (it removes what it had begun). */
async function byVmCancel(host: HostClient, t: CancellableTask): Promise<boolean> {
  return (await host.vm.cancel.mutate({ id: cancelTarget(t) ?? "" })).cancelled;
}

export function cancelTarget(task: CancellableTask): string | undefined {
  return CANCELLABLE[task.kind]?.hostOpId(task);
}

/** Who asked to cancel the task, if anyone did. */
export function cancelRequestedBy(input: Prisma.JsonValue | null | undefined): string | undefined {
  const by = (input as { cancelRequestedBy?: unknown } | null)?.cancelRequestedBy;
  return typeof by === "string" ? by : undefined;
}

/**
 * The one way a task is cancelled, whichever button asked (the Tasks panel, a VM's Move dialog, a
 * host's maintenance panel): the request is journaled, then the host (or this console) is asked to
 * stop. False when nothing was under way to stop; a host that refuses (a move past its switch-over)
 * throws its reason.
 */
export async function requestCancel(db: Db, hosts: HostGateway, task: TaskToCancel, by: string): Promise<boolean> {
  const rule = CANCELLABLE[task.kind];
  const target = cancelTarget(task);
  if (!rule || !target) return false;
  if (rule.here && !runningHere.has(task.id)) return false;
  const entry = JSON.stringify([{ at: new Date().toISOString(), line: `cancel requested by ${by}` }]);
  const mark = JSON.stringify({ cancelRequestedBy: by });
  await db.$executeRaw`UPDATE "Task" SET "input" = coalesce("input", '{}'::jsonb) || ${mark}::jsonb, "log" = "log" || ${entry}::jsonb, "updatedAt" = now() WHERE "id" = ${task.id}`;
  taskBus.publish({ taskId: task.id, vmId: task.vmId });
  crashPoint("task.cancel:journaled");
  if (rule.here) {
    const abort = runningHere.get(task.id);
    abort?.abort();
    return abort !== undefined;
  }
  if (rule.children) {
    const select = { id: true, kind: true, vmId: true, hostId: true, input: true } as const;
    const running = await db.task.findMany({ where: { parentId: task.id, state: "running" }, select });
    // A cold copy that cannot be stopped finishes; nothing after it is queued.
    for (const child of running) await requestCancel(db, hosts, child, by).catch(() => false);
    return true;
  }
  const hostId = rule.hostIdOf?.(task) ?? task.hostId;
  if (!hostId) return false;
  const cancelled = await (rule.stop ?? byVmCancel)(await hosts.forHost(hostId), task);
  crashPoint("task.cancel:host-asked");
  return cancelled;
}
