// Asks every registered host for its info every few seconds (ADR 0036). The answer is the
// heartbeat: it records the host's capacity and marks it online; a host silent for longer than
// unreachableAfterMs is marked unreachable and its VMs unknown (host-heartbeat.ts, the only writer
// of Host.state). When an unreachable host answers again, state sync reconciles it in full. The
// answer also carries the machine's kernel boot id: a new one for a machine seen before queues
// start at boot (docs/decisions/0043-start-at-boot-as-a-queued-job.md).
import type { Logger } from "pino";
import type { Db } from "@guesthouse/db";
import { markSilentHosts, noteHostBoot, recordHeartbeat, type AutostartJob, type HostGateway, type HostInfoReport } from "@guesthouse/api";
import { db, hosts } from "./db.server.ts";
import { env } from "../env.server.ts";
import { log } from "./log.server.ts";

export interface HeartbeatDeps {
  db: Db;
  hosts: HostGateway;
  log: Logger;
  everyMs: number;
  unreachableAfterMs: number;
  /** A host that was unreachable answered again. */
  onRecovered(hostId: string): void;
  /** Queues start at boot for a host whose machine booted again (jobs.server.ts); absent: never. */
  autostart?: (job: AutostartJob) => Promise<void>;
}

async function beat(deps: HeartbeatDeps, hostId: string): Promise<void> {
  let info: HostInfoReport;
  try {
    const client = await deps.hosts.forHost(hostId);
    info = await client.host.info.query(undefined, { signal: AbortSignal.timeout(deps.everyMs) });
  } catch (err) {
    deps.log.debug({ hostId, err }, "host missed a heartbeat");
    return;
  }
  // Before the answer is recorded: a heartbeat on record means its boot id has been looked at.
  if (deps.autostart) await noteBoot(deps, hostId, info.bootId, deps.autostart);
  try {
    if (await recordHeartbeat(deps.db, hostId, info)) {
      deps.log.info({ hostId }, "host answers again; reconciling its VMs");
      deps.onRecovered(hostId);
    }
  } catch (err) {
    deps.log.warn({ hostId, err }, "could not record a host's heartbeat");
  }
}

async function noteBoot(deps: HeartbeatDeps, hostId: string, bootId: string, autostart: (job: AutostartJob) => Promise<void>) {
  try {
    if (!(await noteHostBoot(deps.db, hostId, bootId))) return;
    deps.log.info({ hostId, bootId }, "the host's machine booted again: queueing start at boot");
    await autostart({ hostId, bootId });
  } catch (err) {
    deps.log.error({ hostId, bootId, err }, "could not queue start at boot for a host that booted again");
  }
}

async function round(deps: HeartbeatDeps): Promise<void> {
  const rows = await deps.db.host.findMany({ select: { id: true } });
  await Promise.all(rows.map((h) => beat(deps, h.id)));
  for (const id of await markSilentHosts(deps.db, new Date(Date.now() - deps.unreachableAfterMs)))
    deps.log.warn({ hostId: id, afterMs: deps.unreachableAfterMs }, "host missed its heartbeats: unreachable, its VMs unknown");
}

export function startHostHeartbeat(overrides: Partial<HeartbeatDeps> = {}): { stop(): void } {
  const deps: HeartbeatDeps = {
    db: overrides.db ?? db(),
    hosts: overrides.hosts ?? hosts(),
    log: overrides.log ?? log().child({ part: "heartbeat" }),
    everyMs: overrides.everyMs ?? env().HOST_HEARTBEAT_MS,
    unreachableAfterMs: overrides.unreachableAfterMs ?? env().HOST_UNREACHABLE_AFTER_S * 1000,
    onRecovered: overrides.onRecovered ?? (() => {}),
    autostart: overrides.autostart,
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // One round at a time: a slow host must not pile up rounds behind it.
  const loop = async () => {
    await round(deps).catch((err: unknown) => deps.log.error({ err }, "heartbeat round failed"));
    if (!stopped) timer = setTimeout(() => void loop(), deps.everyMs);
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
