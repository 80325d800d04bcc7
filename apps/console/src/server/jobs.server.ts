// Queued work of the console's, on pg-boss: a maintained job queue that lives in the same
// PostgreSQL (its own `pgboss` schema, made by pg-boss itself when it starts) and needs no other
// server (docs/decisions/0043-start-at-boot-as-a-queued-job.md). A job queued but not done when
// the console stops is done by the next console. Today's one job: start at boot.
import PgBoss from "pg-boss";
import type { Logger } from "pino";
import type { Db } from "@guesthouse/db";
import { AUTOSTART_JOB, autostartHost, type AutostartJob, type HostGateway } from "@guesthouse/api";

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
  return {
    async autostart(job) {
      await boss.send(AUTOSTART_JOB, job);
    },
    stop: () => boss.stop({ graceful: true, timeout: 5_000 }),
  };
}
