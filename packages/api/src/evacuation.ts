// Emptying a host for maintenance, and moving its guests back after (ADR 0052). One parent task
// ("host.evacuate" or "host.moveBack", its hostId the host) holds the plan in its input; its work
// runs as a pg-boss job (evacuation-queue.ts), so a console that restarts picks it up again. Each
// guest is one child task: vm.migrate itself (vm-move.ts, parentId = the parent), live while the
// guest runs, cold while stopped; at most `concurrency` at once, larger guests first. The parent's
// detail has a row per guest; its progress is the guests done of the total. A cancel stops queuing
// moves and cancels those under way (the guests stay at the source).
import type { Db, Prisma } from "@guesthouse/db";
import { TRPCError } from "@trpc/server";
import { audit } from "./audit.ts";
import { messageFor } from "./errors.ts";
import type { HostGateway } from "./host-gateway.ts";
import {
  EVACUATE_KIND,
  EVACUATION_KINDS,
  MOVE_BACK_KIND,
  planEvacuation,
  type EvacuationPlan,
  type PlannedMove,
  type RefusedMove,
} from "./evacuation-plan.ts";
import { cancelRequestedBy, requestCancel } from "./task-cancel.ts";
import { taskBus } from "./task-bus.ts";
import { CONSOLE_INSTANCE, finishTask, taskHandle } from "./tasks.ts";
import { moveVm } from "./vm-move.ts";
import { MOVE_KIND } from "./vm-move-plan.ts";
import { processWide } from "@guesthouse/shared/process-wide";
import { crashPoint } from "@guesthouse/shared/crash-point";

export const DEFAULT_CONCURRENCY = 2;

export type GuestState = "queued" | "moving" | "moved" | "failed" | "cancelled" | "refused";

export interface GuestRow {
  vmId: string;
  vmName: string;
  targetName: string;
  mode: "live" | "cold" | "";
  state: GuestState;
  reason: string;
  taskId: string | null;
}

export interface EvacuationInput {
  hostId: string;
  hostName: string;
  direction: "evacuate" | "return";
  concurrency: number;
  moves: PlannedMove[];
  refused: RefusedMove[];
  /** Tests slow each move down to watch or cancel it (bytes per second). */
  maxBandwidth?: number;
  cancelRequestedBy?: string;
}

const DONE: GuestState[] = ["moved", "failed", "cancelled", "refused"];

function initialRows(plan: EvacuationPlan): GuestRow[] {
  return [
    ...plan.moves.map((m) => ({
      vmId: m.vmId,
      vmName: m.vmName,
      targetName: m.targetName,
      mode: m.mode,
      state: "queued" as const,
      reason: "",
      taskId: null,
    })),
    ...plan.refused.map((r) => ({
      vmId: r.vmId,
      vmName: r.vmName,
      targetName: "",
      mode: "" as const,
      state: "refused" as const,
      reason: r.reason,
      taskId: null,
    })),
  ];
}

/** The running evacuation or move-back of a host, if any. */
export const activeEvacuation = (db: Db, hostId: string) =>
  db.task.findFirst({
    where: { hostId, kind: { in: EVACUATION_KINDS }, state: { in: ["queued", "running"] } },
    // What requestCancel needs of it, read in the same query.
    select: { id: true, kind: true, vmId: true, hostId: true, input: true },
  });

/**
 * Journals the parent task with its plan (before any host is called) and returns its id; the
 * caller queues its work. Refused while another evacuation of the host is under way.
 */
export async function openEvacuation(
  db: Db,
  opts: {
    hostId: string;
    hostName: string;
    direction: "evacuate" | "return";
    actor: { id: string; email: string };
    concurrency?: number;
    maxBandwidth?: number;
  },
): Promise<{ taskId: string; plan: EvacuationPlan }> {
  const busy = await activeEvacuation(db, opts.hostId);
  if (busy)
    throw new TRPCError({
      code: "CONFLICT",
      message: `Host '${opts.hostName}' already has a ${busy.kind} under way; cancel it or wait for it`,
    });
  const plan = await planEvacuation(db, opts.hostId, opts.direction);
  const input: EvacuationInput = {
    hostId: opts.hostId,
    hostName: opts.hostName,
    direction: opts.direction,
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    moves: plan.moves,
    refused: plan.refused,
    ...(opts.maxBandwidth ? { maxBandwidth: opts.maxBandwidth } : {}),
  };
  const rows = initialRows(plan);
  const what = opts.direction === "evacuate" ? `emptying '${opts.hostName}' for maintenance` : `moving guests back to '${opts.hostName}'`;
  const task = await db.task.create({
    data: {
      kind: opts.direction === "evacuate" ? EVACUATE_KIND : MOVE_BACK_KIND,
      hostId: opts.hostId,
      actorId: opts.actor.id,
      actorName: opts.actor.email,
      state: "running",
      input: input as unknown as Prisma.InputJsonValue,
      detail: { guests: rows, done: 0, total: plan.moves.length } as unknown as Prisma.InputJsonValue,
      owner: CONSOLE_INSTANCE,
      log: [
        { at: new Date().toISOString(), line: `started by ${opts.actor.email}: ${what}` },
        {
          at: new Date().toISOString(),
          line: `${plan.moves.length} guest(s) to move, ${input.concurrency} at a time${plan.refused.length ? `; ${plan.refused.length} cannot move: ${plan.refused.map((r) => `'${r.vmName}' (${r.reason})`).join(", ")}` : ""}`,
        },
      ],
    },
    select: { id: true },
  });
  taskBus.publish({ taskId: task.id, vmId: null });
  return { taskId: task.id, plan };
}

/** Evacuations this console is running now (a duplicate job for one of them does nothing). */
const running = processWide("evacuations-running", () => new Set<string>());

/** Does the parent task's work: the moves, `concurrency` at a time; resumes what a dead console began. */
export async function runEvacuation(db: Db, hosts: HostGateway, taskId: string): Promise<void> {
  if (running.has(taskId)) return;
  running.add(taskId);
  try {
    const row = await db.task.findUnique({ where: { id: taskId } });
    if (!row || (row.state !== "running" && row.state !== "queued")) return;
    if (row.owner !== CONSOLE_INSTANCE) {
      await db.task.update({ where: { id: taskId }, data: { owner: CONSOLE_INSTANCE } });
      await taskHandle(db, taskId, row.kind, null).log("resumed by a console that started again");
    }
    await work(db, hosts, row.id, row.kind, row.input as unknown as EvacuationInput, row.actorId, row.actorName);
  } finally {
    running.delete(taskId);
  }
}

async function work(
  db: Db,
  hosts: HostGateway,
  taskId: string,
  kind: string,
  input: EvacuationInput,
  actorId: string | null,
  actorName: string,
) {
  const handle = taskHandle(db, taskId, kind, null);
  const plan: EvacuationPlan = { moves: input.moves, refused: input.refused };
  const rows = initialRows(plan);
  const total = input.moves.length;
  const publish = async () => {
    const done = rows.filter((r) => r.state !== "refused" && DONE.includes(r.state)).length;
    await handle.measure(total ? (100 * done) / total : 100, { guests: rows, done, total } as unknown as Prisma.InputJsonValue);
  };
  const cancelledBy = async () => cancelRequestedBy((await db.task.findUnique({ where: { id: taskId }, select: { input: true } }))?.input);
  const actor = { id: actorId ?? "", email: actorName || "system" };

  const one = async (move: PlannedMove, r: GuestRow) => {
    // What a dead console's move of it left: wait for reconciliation to settle it, then look.
    await until(
      async () => !(await db.task.findFirst({ where: { vmId: move.vmId, kind: MOVE_KIND, state: { in: ["queued", "running"] } } })),
    );
    const vm = await db.vm.findUnique({ where: { id: move.vmId }, select: { id: true, name: true, hostId: true, state: true } });
    const previous = await db.task.findFirst({
      where: { parentId: taskId, vmId: move.vmId },
      orderBy: { createdAt: "desc" },
      select: { id: true },
    });
    if (!vm) return Object.assign(r, { state: "failed", reason: "the VM was deleted" });
    if (vm.hostId === move.targetHostId) return Object.assign(r, { state: "moved", taskId: previous?.id ?? null });
    const from = input.direction === "evacuate" ? input.hostId : undefined;
    if (from && vm.hostId !== from) return Object.assign(r, { state: "failed", reason: "it is no longer on this host" });
    Object.assign(r, { state: "moving" });
    await publish();
    try {
      const moved = await moveVm(
        { db, hosts, vm, user: actor, ip: "evacuation" },
        { targetHostId: move.targetHostId, parentTaskId: taskId, ...(input.maxBandwidth ? { maxBandwidth: input.maxBandwidth } : {}) },
      );
      await db.vm.update({
        where: { id: vm.id },
        data: { evacuatedFromHostId: input.direction === "evacuate" ? input.hostId : null },
      });
      Object.assign(r, { state: "moved", taskId: moved.taskId, mode: moved.mode });
    } catch (error) {
      const child = await db.task.findFirst({
        where: { parentId: taskId, vmId: vm.id },
        orderBy: { createdAt: "desc" },
        select: { id: true, state: true },
      });
      Object.assign(r, {
        state: child?.state === "cancelled" ? "cancelled" : "failed",
        reason: messageFor(error, vm),
        taskId: child?.id ?? null,
      });
    }
  };

  await publish();
  const queue = input.moves.map((m) => ({ move: m, row: rows.find((r) => r.vmId === m.vmId)! }));
  const workers = Array.from({ length: Math.max(1, Math.min(input.concurrency, queue.length)) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (await cancelledBy()) {
        Object.assign(next.row, { state: "cancelled", reason: "the evacuation was cancelled before it moved" });
        continue;
      }
      await one(next.move, next.row);
      await publish();
      crashPoint(`${kind}@guest-${rows.filter((r) => r.state !== "refused" && DONE.includes(r.state)).length}`);
    }
  });
  await Promise.all(workers);
  await publish();

  const by = await cancelledBy();
  const moved = rows.filter((r) => r.state === "moved");
  const stayed = rows.filter((r) => r.state !== "moved");
  const summary = `${moved.length} of ${rows.length} guest(s) moved${stayed.length ? `; stayed: ${stayed.map((r) => `'${r.vmName}' (${r.reason || r.state})`).join(", ")}` : ""}`;
  if (by) await finishTask(db, taskId, "cancelled", `cancelled by ${by}: ${summary}`);
  else if (rows.some((r) => r.state === "failed")) await finishTask(db, taskId, "failed", `failed: ${summary}`, summary);
  else await finishTask(db, taskId, "succeeded", summary);
  await audit(db, {
    actorId,
    actorName: actor.email,
    action: kind,
    outcome: by ? "failure" : rows.some((r) => r.state === "failed") ? "failure" : "success",
    taskId,
    detail: {
      host: input.hostName,
      moved: moved.map((r) => r.vmName),
      stayed: stayed.map((r) => ({ vm: r.vmName, reason: r.reason || r.state })),
    },
  });
}

async function until(check: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Journals the cancel, then cancels the moves under way; the runner queues no more. */
export async function cancelEvacuation(db: Db, hosts: HostGateway, hostId: string, by: string): Promise<{ taskId: string }> {
  const task = await activeEvacuation(db, hostId);
  if (!task) throw new TRPCError({ code: "CONFLICT", message: "This host has no evacuation or move-back under way" });
  // As the Tasks panel's Cancel: journaled (no more moves are queued), then each running move is cancelled.
  await requestCancel(db, hosts, task, by);
  return { taskId: task.id };
}

/** Evacuations a dead console left running: their ids, for the job queue to run again. */
export async function orphanedEvacuations(db: Db): Promise<string[]> {
  const rows = await db.task.findMany({
    where: { kind: { in: EVACUATION_KINDS }, state: { in: ["queued", "running"] }, owner: { not: CONSOLE_INSTANCE } },
    select: { id: true },
    orderBy: { createdAt: "asc" },
  });
  return rows.map((r) => r.id);
}
