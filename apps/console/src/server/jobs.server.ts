// Queued work of the console's, on pg-boss: a maintained job queue that lives in the same
// PostgreSQL (its own `pgboss` schema, made by pg-boss itself when it starts) and needs no other
// server (docs/decisions/0043-start-at-boot-as-a-queued-job.md). A job queued but not done when
// the console stops is done by the next console. Jobs: start at boot, and a host's evacuation or
// move-back (ADR 0052), which the next console also resumes from its journaled task.
import PgBoss from "pg-boss";
import type { Logger } from "pino";
import type { Db } from "@guesthouse/db";
import {
  AUTOSTART_JOB,
  autostartHost,
  EVACUATE_JOB,
  orphanedEvacuations,
  runEvacuation,
  setEvacuationQueue,
  type AutostartJob,
  type EvacuateJob,
  type HostGateway,
} from "@guesthouse/api";

export interface Jobs {
  /** Queues start at boot for a host whose machine booted again. */
  autostart(job: AutostartJob): Promise<void>;
  stop(): Promise<void>;
}

export async function startJobs(deps: { connectionString: string; db: Db; hosts: HostGateway; log: Logger }): Promise<Jobs> {
  const boss = new PgBoss({ connectionString: deps.connectionString, schema: "pgboss" });
  boss.on("error", (err) => deps.log.error({ err }, "job queue error"));
  await boss.start();
  if (!(await boss.getQueue(AUTOSTART_JOB))) await boss.createQueue(AUTOSTART_JOB, { name: AUTOSTART_JOB, retryLimit: 3, retryDelay: 10 });
  await boss.work<AutostartJob>(AUTOSTART_JOB, { pollingIntervalSeconds: 1 }, async ([job]) => {
    if (!job) return;
    const { hostId } = job.data;
    const outcome = await autostartHost(deps.db, await deps.hosts.forHost(hostId), hostId);
    deps.log.info({ hostId, ...outcome }, "start at boot done");
  });
  // One try: a console that dies mid-evacuation leaves its task running, and the next one resumes it
  // from there (orphanedEvacuations) rather than pg-boss replaying the job from the start.
  if (!(await boss.getQueue(EVACUATE_JOB)))
    await boss.createQueue(EVACUATE_JOB, { name: EVACUATE_JOB, retryLimit: 0, expireInSeconds: 23 * 3600 });
  await boss.work<EvacuateJob>(EVACUATE_JOB, { pollingIntervalSeconds: 1, batchSize: 4 }, async (jobs) => {
    await Promise.all(jobs.map((job) => runEvacuation(deps.db, deps.hosts, job.data.taskId)));
  });
  setEvacuationQueue(async (job) => void (await boss.send(EVACUATE_JOB, job)));
  for (const taskId of await orphanedEvacuations(deps.db)) {
    deps.log.info({ taskId }, "resuming an evacuation a previous console began");
    await boss.send(EVACUATE_JOB, { taskId });
  }
  return {
    async autostart(job) {
      await boss.send(AUTOSTART_JOB, job);
    },
    stop: () => {
      setEvacuationQueue(null);
      return boss.stop({ graceful: true, timeout: 5_000 });
    },
  };
}
