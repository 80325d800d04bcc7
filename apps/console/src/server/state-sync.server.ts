// Keeps the DB's idea of each VM's power state equal to what its host reports: a full reconcile
// when the console starts (or a host comes back), then the host's event stream; every registered
// host is followed, those that join later too. Nothing here may
// fail silently: a host that cannot be reached, a state that cannot be recorded and an undo policy
// that cannot be applied are each logged with the host and VM they concern.
import type { Logger } from "pino";
import type { Db } from "@guesthouse/db";
import {
  applyUndoPolicy,
  dropStaleMoveCopies,
  ensureDefaultNetwork,
  markHostUnknown,
  reconcileSnapshots,
  reconcileTasks,
  recordVmState,
  specForVm,
  type HostClient,
  type HostGateway,
} from "@guesthouse/api";
import { db, hosts } from "./db.server.ts";
import { log } from "./log.server.ts";

type PowerState = Parameters<typeof recordVmState>[2];

export interface StateSyncDeps {
  db: Db;
  hosts: HostGateway;
  log: Logger;
  /** How long to wait before reconnecting to a host that went away. */
  retryMs: number;
  /** How often unfinished tasks of dead consoles are looked at again. */
  reconcileEveryMs: number;
  /** How often the list of hosts is read again, to follow hosts that joined since. */
  discoverEveryMs: number;
}

/** Returns where the host's event stream stood before its VMs were read: the stream is followed from there. */
async function reconcileHost(deps: StateSyncDeps, hostId: string, client: HostClient): Promise<string> {
  // First what a dead console left half-done (it knows what a recovered snapshot's name and place are).
  const closed = await reconcileTasks(deps.db, client, hostId, deps.hosts);
  if (closed) deps.log.info({ hostId, tasks: closed }, "reconciled tasks a previous console left unfinished");
  await offerDefaultNetwork(deps, hostId);
  // A change made after this cursor but before the stream is open is replayed, not lost.
  const { lastEventId } = await client.vm.eventCursor.query();
  const live = new Map((await client.vm.list.query()).map((vm) => [vm.id, vm]));
  await dropLeftoverCopies(deps, hostId, client, [...live.values()]);
  const rows = await deps.db.vm.findMany({ where: { hostId }, select: { id: true, state: true, _count: { select: { disks: true } } } });
  for (const row of rows) {
    try {
      await reconcileVm(deps, client, row, live.get(row.id));
    } catch (err) {
      // One VM that cannot be reconciled must not keep the others (and the event stream) waiting.
      deps.log.error({ hostId, vmId: row.id, err }, "could not reconcile a VM with its host");
    }
  }
  return lastEventId;
}

/** A moved VM's copy this host kept while it did not answer (vm-move-reconcile.ts); never fatal. */
async function dropLeftoverCopies(deps: StateSyncDeps, hostId: string, client: HostClient, held: { id: string; state: string }[]) {
  try {
    const { removed, kept } = await dropStaleMoveCopies(deps.db, deps.hosts, hostId, client, held);
    if (removed.length) deps.log.info({ hostId, vmIds: removed }, "removed copies of VMs that moved to another host");
    for (const k of kept) deps.log.warn({ hostId, vmId: k.id, why: k.why }, "a VM this host holds belongs to another host; left alone");
  } catch (err) {
    deps.log.error({ hostId, err }, "could not look for copies of VMs that moved away");
  }
}

/** Once per host, where the host allows it (ADR 0037); a refusal is logged, never fatal. */
async function offerDefaultNetwork(deps: StateSyncDeps, hostId: string): Promise<void> {
  try {
    const outcome = await ensureDefaultNetwork(deps.db, deps.hosts, hostId);
    if (outcome.made) deps.log.info({ hostId, subnet: outcome.subnet }, "made the default NAT network");
    else deps.log.info({ hostId, reason: outcome.reason }, "no default NAT network made");
  } catch (err) {
    deps.log.error({ hostId, err }, "could not make the default NAT network");
  }
}

async function reconcileVm(
  deps: StateSyncDeps,
  client: HostClient,
  row: { id: string; _count: { disks: number } },
  vm: Awaited<ReturnType<HostClient["vm"]["list"]["query"]>>[number] | undefined,
): Promise<void> {
  if (vm) {
    await recordVmState(deps.db, row.id, vm.state as PowerState, vm.reason, vm.stateVersion);
    if (row._count.disks > 0) await reconcileSnapshots(deps.db, client, row.id);
  } else {
    // A VM whose own task is under way (a create between its row and its host definition) is
    // that task's to define: redefining it here would make the create fail with "already exists".
    const busy = await deps.db.task.findFirst({ where: { vmId: row.id, state: { in: ["queued", "running"] } }, select: { id: true } });
    if (busy) return;
    // The host lost the definition (new data folder): give it back what the console knows.
    const view = await client.vm.define.mutate({ id: row.id, spec: await specForVm(deps.db, row.id) });
    await recordVmState(deps.db, row.id, view.state as PowerState, "redefined", view.stateVersion);
  }
}

/**
 * One state event from a host: record it, then (at power-off) apply the VM's undo policy. False
 * when it could not be recorded (the database was away): the caller then reconciles in full.
 */
async function onStateEvent(
  deps: StateSyncDeps,
  hostId: string,
  client: HostClient,
  event: { vmId: string; state: string; reason: string; version: number },
): Promise<boolean> {
  const context = { hostId, vmId: event.vmId, state: event.state };
  try {
    if (!(await recordVmState(deps.db, event.vmId, event.state as PowerState, event.reason, event.version, hostId))) return true;
  } catch (err) {
    deps.log.error({ ...context, err }, "could not record a VM's new power state; reconciling with the host");
    return false;
  }
  if (event.state !== "stopped") return true;
  try {
    await applyUndoPolicy(deps.db, client, event.vmId);
  } catch (err) {
    deps.log.error({ ...context, err }, "could not apply the VM's undo-disk policy at power-off");
  }
  return true;
}

/** The stream ended because a state could not be recorded, not because the host went away. */
const STATE_LOST = Symbol("state-lost");

async function followHost(deps: StateSyncDeps, hostId: string, signal: AbortSignal): Promise<void> {
  let failing = false;
  while (!signal.aborted) {
    try {
      const client = await deps.hosts.forHost(hostId);
      const lastEventId = await reconcileHost(deps, hostId, client);
      if (failing) deps.log.info({ hostId }, "host reachable again; its VMs' states are reconciled");
      failing = false;
      let sub: { unsubscribe(): void } | undefined;
      const ended = await new Promise<unknown>((resolve) => {
        sub = client.vm.events.subscribe(
          { lastEventId },
          {
            onData: (envelope) => {
              const event = "data" in envelope ? envelope.data : envelope;
              // A state the database did not take would stay wrong until the next outage of the host:
              // end the stream, so the loop reconciles in full once the database answers again.
              if (event.type === "state")
                void onStateEvent(deps, hostId, client, event).then((recorded) => recorded || resolve(STATE_LOST));
            },
            onError: (err) => resolve(err),
            onComplete: () => resolve(null),
            // The link reconnects a dropped stream by itself, but a host that went away may have
            // restarted (and finished or undone work): treat it as lost, and reconcile in full.
            onConnectionStateChange: (s) => {
              if (s.state === "connecting" && s.error) resolve(s.error);
            },
          },
        );
        signal.addEventListener(
          "abort",
          () => {
            sub?.unsubscribe();
            resolve(null);
          },
          { once: true },
        );
      });
      sub?.unsubscribe();
      if (ended === STATE_LOST) failing = true;
      else if (ended && !signal.aborted) {
        deps.log.warn({ hostId, err: ended }, "host event stream failed; reconnecting");
        await markHostUnknown(deps.db, hostId).catch((e: unknown) => deps.log.error({ hostId, err: e }, "could not mark VMs unknown"));
        failing = true;
      }
    } catch (err) {
      // The heartbeat shows the host as unreachable meanwhile (host-heartbeat.server.ts), and its VMs as unknown (never stopped:
      // they may well be running). One warning per outage, not one per retry.
      if (!failing) {
        deps.log.warn({ hostId, err, retryMs: deps.retryMs }, "cannot sync VM states with host; retrying");
        await markHostUnknown(deps.db, hostId).catch((e: unknown) => deps.log.error({ hostId, err: e }, "could not mark VMs unknown"));
      } else deps.log.debug({ hostId, err }, "host still unreachable");
      failing = true;
    }
    if (!signal.aborted) await new Promise((r) => setTimeout(r, deps.retryMs));
  }
}

export interface StateSync {
  stop(): void;
  /** Follows the host again from a full reconcile (its heartbeat came back after an outage). */
  resync(hostId: string): void;
}

export function startStateSync(overrides: Partial<StateSyncDeps> = {}): StateSync {
  const deps: StateSyncDeps = {
    db: overrides.db ?? db(),
    hosts: overrides.hosts ?? hosts(),
    log: overrides.log ?? log().child({ part: "state-sync" }),
    retryMs: overrides.retryMs ?? 2000,
    reconcileEveryMs: overrides.reconcileEveryMs ?? 60_000,
    discoverEveryMs: overrides.discoverEveryMs ?? 3000,
  };
  const controller = new AbortController();
  // One follower per registered host: a host that joins is followed within discoverEveryMs, and a
  // removed one is let go.
  const followers = new Map<string, AbortController>();
  const follow = (hostId: string) => {
    const own = new AbortController();
    controller.signal.addEventListener("abort", () => own.abort(), { once: true });
    followers.set(hostId, own);
    void followHost(deps, hostId, own.signal);
  };
  const discover = () =>
    deps.db.host
      .findMany({ select: { id: true } })
      .then((rows) => {
        if (controller.signal.aborted) return;
        const ids = new Set(rows.map((h) => h.id));
        for (const id of ids) if (!followers.has(id)) follow(id);
        for (const [id, c] of followers)
          if (!ids.has(id)) {
            c.abort();
            followers.delete(id);
          }
      })
      .catch((err: unknown) => deps.log.error({ err }, "cannot list the hosts: VM states follow only the hosts found before"));
  void discover();
  const discovering = setInterval(() => void discover(), deps.discoverEveryMs);
  discovering.unref();
  // And periodically: a task whose reconciliation failed (its host was away) is tried again.
  const periodic = setInterval(() => {
    void deps.db.host
      .findMany({ select: { id: true } })
      .then((rows) =>
        Promise.all(rows.map(async (h) => reconcileTasks(deps.db, await deps.hosts.forHost(h.id), h.id, deps.hosts).catch(() => 0))),
      )
      .catch((err: unknown) => deps.log.warn({ err }, "periodic task reconciliation failed"));
  }, deps.reconcileEveryMs);
  periodic.unref();
  return {
    stop: () => {
      clearInterval(periodic);
      clearInterval(discovering);
      controller.abort();
    },
    resync: (hostId) => {
      if (controller.signal.aborted) return;
      followers.get(hostId)?.abort();
      follow(hostId);
    },
  };
}
