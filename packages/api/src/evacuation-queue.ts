// How an evacuation's work is handed to the console's job queue (pg-boss, jobs.server.ts; ADR
// 0052). The console process registers its queue at start; procedures only journal the parent
// task and queue its id. Without a queue (a console whose job queue could not start, or a test
// that runs none) the work runs in this process, and the next console with a queue resumes it.
import { processWide } from "@guesthouse/shared/process-wide";
import type { Db } from "@guesthouse/db";
import type { HostGateway } from "./host-gateway.ts";
import { runEvacuation } from "./evacuation.ts";

export const EVACUATE_JOB = "host-evacuate";

export interface EvacuateJob {
  taskId: string;
}

const queue = processWide("evacuation-queue", () => ({ send: null as ((job: EvacuateJob) => Promise<void>) | null }));

export function setEvacuationQueue(send: ((job: EvacuateJob) => Promise<void>) | null): void {
  queue.send = send;
}

export async function queueEvacuation(db: Db, hosts: HostGateway, taskId: string): Promise<void> {
  if (queue.send) return queue.send({ taskId });
  void runEvacuation(db, hosts, taskId).catch(() => undefined);
}
