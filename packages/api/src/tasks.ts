// The task journal (docs/decisions/0018-tasks-journal.md). Every operation that changes a VM or a
// host is a Task row, written before the host is called; its log and progress are updated as it
// goes, and it ends succeeded or failed with the error a person can read. A console that dies
// half-way leaves the row `running` under its own owner id: reconcileTasks() finishes or undoes it.
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { Db, Prisma } from "@guesthouse/db";
import { hostWentAway } from "@guesthouse/host-client";
import { crashPoint } from "@guesthouse/shared/crash-point";
import { InvalidState, toTRPCError } from "./errors.ts";
import { taskBus } from "./task-bus.ts";
import { cancelRequestedBy } from "./task-cancel.ts";
import { processWide } from "@guesthouse/shared/process-wide";

/** This console process; a running task owned by another one was left by a console that died. */
export const CONSOLE_INSTANCE = processWide("console-instance", () => randomUUID());

export interface TaskSpec {
  kind: string;
  vm?: { id: string; name: string; hostId: string };
  hostId?: string;
  actor?: { id: string; email: string } | null;
  /** What reconciliation needs to finish or undo the task. */
  input?: Prisma.InputJsonValue;
  /** The task this one is a step of (an evacuation's moves). */
  parentId?: string;
}

export interface TaskHandle {
  id: string;
  /** Records how far it got (0–100), with a line for the log. */
  progress(percent: number, line?: string): Promise<void>;
  log(line: string): Promise<void>;
  /**
   * Moves the progress figure as the host's own figures come, with no log line; with `detail`, also
   * records what the task measured so far (Task.detail).
   */
  measure(percent: number, detail?: Prisma.InputJsonValue): Promise<void>;
}

/** Thrown by a task's work when a person cancelled it: the task ends `cancelled`, not `failed`. */
export class TaskCancelled extends InvalidState {}

export const taskSelect = {
  id: true,
  kind: true,
  vmId: true,
  vmName: true,
  actorName: true,
  state: true,
  progress: true,
  log: true,
  error: true,
  detail: true,
  createdAt: true,
  finishedAt: true,
} satisfies Prisma.TaskSelect;

async function appendLog(db: Db, id: string, line: string, data: Prisma.TaskUpdateInput = {}): Promise<void> {
  const entry = JSON.stringify([{ at: new Date().toISOString(), line }]);
  // jsonb concatenation in the database: concurrent lines never overwrite one another.
  await db.$executeRaw`UPDATE "Task" SET "log" = "log" || ${entry}::jsonb, "updatedAt" = now() WHERE "id" = ${id}`;
  if (Object.keys(data).length) await db.task.update({ where: { id }, data });
  taskBus.publish({ taskId: id, vmId: null });
}

/** Journals the task, runs `work`, and records how it ended; the error is rethrown as it was. */
export async function runTask<T>(db: Db, spec: TaskSpec, work: (task: TaskHandle) => Promise<T>): Promise<T> {
  const task = await db.task.create({
    data: {
      kind: spec.kind,
      vmId: spec.vm?.id ?? null,
      vmName: spec.vm?.name ?? "",
      hostId: spec.vm?.hostId ?? spec.hostId ?? null,
      actorId: spec.actor?.id ?? null,
      actorName: spec.actor?.email ?? "system",
      state: "running",
      input: spec.input,
      parentId: spec.parentId ?? null,
      owner: CONSOLE_INSTANCE,
      log: [{ at: new Date().toISOString(), line: `started by ${spec.actor?.email ?? "the system"}` }],
    },
    select: { id: true },
  });
  taskBus.publish({ taskId: task.id, vmId: spec.vm?.id ?? null });
  crashPoint(`${spec.kind}@0`);
  const handle = taskHandle(db, task.id, spec.kind, spec.vm?.id ?? null);
  try {
    const result = await work(handle);
    await finishTask(db, task.id, "succeeded", "done");
    return result;
  } catch (error) {
    if (hostWentAway(error)) {
      // Done, half-done or never started: only the host can say. The task stays open, owned by no
      // console, and reconciliation finishes or undoes it when the host answers again.
      await appendLog(db, task.id, "the host stopped answering; this is finished or undone when it answers again", { owner: "" });
      throw new TRPCError({
        code: "SERVICE_UNAVAILABLE",
        message: `The host stopped answering during ${spec.kind}; the task is finished or undone when the host is back`,
        cause: error,
      });
    }
    const message = toTRPCError(error).message.replaceAll(`'${spec.vm?.id}'`, `'${spec.vm?.name}'`);
    if (hostCancelled(error) || error instanceof TaskCancelled) {
      // Someone asked for it (task.cancel, or a move's cancel), and what had begun was removed.
      const row = await db.task.findUnique({ where: { id: task.id }, select: { input: true } });
      const by = cancelRequestedBy(row?.input);
      await finishTask(db, task.id, "cancelled", `cancelled${by ? ` by ${by}` : ""}: ${message}`).catch(() => undefined);
      throw error;
    }
    await finishTask(db, task.id, "failed", `failed: ${message}`, message).catch(() => undefined);
    throw error;
  }
}

/** The handle a task's work writes through (runTask's, and an evacuation's, which runs as a job). */
export function taskHandle(db: Db, id: string, kind: string, vmId: string | null): TaskHandle {
  return {
    id,
    progress: async (percent, line) => {
      await appendLog(db, id, line ?? `${percent}%`, { progress: Math.max(0, Math.min(100, Math.round(percent))) });
      crashPoint(`${kind}@${percent}`);
    },
    log: (line) => appendLog(db, id, line),
    measure: async (percent, detail) => {
      await db.task.update({ where: { id }, data: { detail, progress: Math.max(0, Math.min(100, Math.round(percent))) } });
      taskBus.publish({ taskId: id, vmId });
    },
  };
}

/** The host's answer to an operation stopped by `vm.cancel` (its CancelledError). */
export const hostCancelled = (error: unknown) => (error as { data?: { code?: string } } | null)?.data?.code === "CLIENT_CLOSED_REQUEST";

export async function finishTask(db: Db, id: string, state: "succeeded" | "failed" | "cancelled", line: string, error = ""): Promise<void> {
  await appendLog(db, id, line, { state, error, finishedAt: new Date(), ...(state === "succeeded" ? { progress: 100 } : {}) });
}
