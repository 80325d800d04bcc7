/**
 * Maintenance evacuations through the console (bench/migration.ts, BENCH_PART=console): a source
 * and two targets, real host services in their own namespaces, the console's API, job queue,
 * heartbeat and state sync (the integration tests' set-up, evacuation-world.test-support.ts).
 * For N guests: host.setMaintenance({ on: true }) until its host.evacuate task ends (wall time on
 * the task), each child move's QEMU-measured downtime, and how the planner split them.
 * The database: DATABASE_URL, or an embedded PostgreSQL of its own in a temporary folder.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres } from "@guesthouse/db/embedded-postgres";
import { freePort } from "../apps/console/src/server/crash-host.test-support.ts";
import { openEvacuationWorld } from "../apps/console/src/server/evacuation-world.test-support.ts";

export interface EvacuationFigures {
  guests: number;
  wallMs: number;
  downtimesMs: number[];
  split: Record<string, number>;
}

export async function consoleEvacuations(opts: { guests: number[]; memoryMiB: number; concurrency: number }): Promise<EvacuationFigures[]> {
  let pgDir = "";
  let stopPg = async () => {};
  if (!process.env.DATABASE_URL) {
    pgDir = await mkdtemp(join(tmpdir(), "gh-bench-evac-pg-"));
    const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), password: randomBytes(12).toString("hex") });
    process.env.DATABASE_URL = pg.url;
    stopPg = pg.stop;
  }
  const most = Math.max(...opts.guests) * opts.memoryMiB;
  // Each target has room for a little over half of the largest round: the planner must split it.
  const half = Math.ceil(most / 2) + opts.memoryMiB;
  const w = await openEvacuationWorld({ src: most + 1024, ta: half, tb: half });
  const out: EvacuationFigures[] = [];
  try {
    const src = w.ids.src!;
    let round = 0;
    for (const n of opts.guests) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(await w.runningVm(`ev${round}-${i}`, opts.memoryMiB));
      round++;
      await waitFor(async () => {
        const h = await w.t.db.host.findUniqueOrThrow({ where: { id: src } });
        return h.memoryFreeBytes === BigInt(most + 1024 - n * opts.memoryMiB) * 1024n * 1024n;
      });
      const { taskId } = await w.admin.host.setMaintenance({ hostId: src, on: true, concurrency: opts.concurrency });
      const parent = await w.finished(taskId!, 20 * 60_000);
      if (parent.state !== "succeeded") throw new Error(`the evacuation of ${n} ended ${parent.state}: ${parent.error}`);
      const children = await w.t.db.task.findMany({ where: { parentId: taskId! } });
      const downtimesMs = children.map((c) => (c.detail as { figures?: { downtimeMs: number } } | null)?.figures?.downtimeMs ?? NaN);
      const vms = await w.t.db.vm.findMany({ where: { id: { in: ids } }, select: { host: { select: { name: true } } } });
      const split: Record<string, number> = {};
      for (const v of vms) split[v.host.name] = (split[v.host.name] ?? 0) + 1;
      out.push({ guests: n, wallMs: parent.finishedAt!.getTime() - parent.createdAt.getTime(), downtimesMs, split });
      for (const id of ids) await w.admin.vm.delete({ vmId: id, force: true });
      await w.admin.host.setMaintenance({ hostId: src, on: false });
    }
    return out;
  } finally {
    await w.close();
    await stopPg();
    if (pgDir) await rm(pgDir, { recursive: true, force: true });
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting for the source's heartbeat");
    await new Promise((r) => setTimeout(r, 200));
  }
}
