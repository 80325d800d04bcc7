/** QMP waits a migration is made of: block jobs reaching READY, the RAM stream ending, both abortable. */
import type { QmpClient, QmpEvent } from "@guesthouse/qemu/qmp";

export interface BlockJobInfo {
  device: string;
  type: string;
  offset: number;
  len: number;
  ready: boolean;
  status: string;
}

export interface MigrateInfo {
  status?: string;
  "total-time"?: number;
  downtime?: number;
  "expected-downtime"?: number;
  "setup-time"?: number;
  "error-desc"?: string;
  ram?: { transferred: number; remaining: number; total: number; "dirty-sync-count"?: number; mbps?: number };
}

/** Rejects with the signal's reason when it aborts; the wait itself is left to time out or settle. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e as Error);
      },
    );
  });
}

export const blockJobs = (qmp: QmpClient) => qmp.execute<BlockJobInfo[]>("query-block-jobs");
export const queryMigrate = (qmp: QmpClient) => qmp.execute<MigrateInfo>("query-migrate");

/** Every job in `ids` READY (source and target in sync); a job that ends or errors first fails it. */
export async function waitJobsReady(qmp: QmpClient, ids: string[], opts: { timeoutMs: number; signal: AbortSignal }): Promise<void> {
  const pending = new Set(ids);
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`disk mirrors not in sync within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      qmp.off("event", onEvent);
      qmp.off("close", onClose);
      if (err) reject(err);
      else resolve();
    };
    const onClose = () => finish(new Error("QEMU went away while its disks were being mirrored"));
    const onEvent = (e: QmpEvent) => {
      const id = String(e.data.device ?? e.data.id ?? "");
      if (!pending.has(id)) return;
      if (e.event === "BLOCK_JOB_READY") {
        pending.delete(id);
        if (pending.size === 0) finish();
      } else if (e.event === "BLOCK_JOB_COMPLETED" || e.event === "BLOCK_JOB_CANCELLED" || e.event === "BLOCK_JOB_ERROR") {
        finish(new Error(`disk mirror ${id} stopped before it was in sync: ${String(e.data.error ?? e.event)}`));
      }
    };
    qmp.on("event", onEvent);
    qmp.once("close", onClose);
    // Jobs that were READY before we listened.
    void blockJobs(qmp).then((jobs) => {
      for (const j of jobs) if (j.ready) pending.delete(j.device);
      if (pending.size === 0) finish();
    }, finish);
  });
  done.catch(() => undefined); // after an abort nobody awaits it any more
  return abortable(done, opts.signal);
}

/** Ends each job in `ids` and waits until QEMU reports it gone. force=false on a READY mirror keeps the target a full copy. */
export async function endJobs(qmp: QmpClient, ids: string[], opts: { force: boolean; timeoutMs: number }): Promise<void> {
  const live = new Set((await blockJobs(qmp)).map((j) => j.device).filter((d) => ids.includes(d)));
  if (live.size === 0) return;
  const gone = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`disk mirrors did not end within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      qmp.off("event", onEvent);
      if (err) reject(err);
      else resolve();
    };
    const onEvent = (e: QmpEvent) => {
      if (e.event !== "BLOCK_JOB_COMPLETED" && e.event !== "BLOCK_JOB_CANCELLED") return;
      live.delete(String(e.data.device));
      if (live.size === 0) finish();
    };
    qmp.on("event", onEvent);
  });
  for (const id of [...live]) {
    await qmp.execute("block-job-cancel", { device: id, force: opts.force }).catch(() => live.delete(id));
  }
  if (live.size === 0) return;
  await gone;
}

const MIGRATION_END = ["completed", "failed", "cancelled"];

/** The RAM stream's end (either side): its status, and QEMU's error text when it failed. */
export async function waitMigrationEnd(qmp: QmpClient, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<MigrateInfo> {
  const ended = qmp.waitEvent("MIGRATION", { timeoutMs: opts.timeoutMs, match: (e) => MIGRATION_END.includes(String(e.data.status)) });
  const e = await (opts.signal ? abortable(ended, opts.signal) : ended);
  const status = String(e.data.status);
  const info = status === "completed" ? {} : await queryMigrate(qmp).catch(() => ({}) as MigrateInfo);
  return { ...info, status };
}

/**
 * QEMU's figures of a completed migration (source side). QEMU sets COMPLETED a moment before it
 * fills them in (7.2: migration_calculate_complete) and meanwhile answers downtime 0: poll briefly.
 */
export async function completedFigures(qmp: QmpClient): Promise<MigrateInfo> {
  let info = await queryMigrate(qmp);
  for (let i = 0; !info.downtime && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    info = await queryMigrate(qmp);
  }
  return info;
}
