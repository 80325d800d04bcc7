// Keeps the DB's idea of each VM's power state equal to what its host reports: a full reconcile
// when the console starts (or a host comes back), then the host's event stream.
import { applyUndoPolicy, reconcileSnapshots, recordVmState, specForVm } from "@guesthouse/api";
import { db, hosts } from "./db.server.ts";

type PowerState = Parameters<typeof recordVmState>[2];

async function reconcileHost(hostId: string): Promise<void> {
  const client = await hosts().forHost(hostId);
  const live = new Map((await client.vm.list.query()).map((vm) => [vm.id, vm]));
  const rows = await db().vm.findMany({ where: { hostId }, select: { id: true, state: true, _count: { select: { disks: true } } } });
  for (const row of rows) {
    const vm = live.get(row.id);
    if (vm) {
      if (vm.state !== row.state) await recordVmState(db(), row.id, vm.state as PowerState, vm.reason);
      if (row._count.disks > 0) await reconcileSnapshots(db(), client, row.id);
    } else {
      // The host lost the definition (new data folder): give it back what the console knows.
      await client.vm.define.mutate({ id: row.id, spec: await specForVm(db(), row.id) });
      await recordVmState(db(), row.id, "stopped", "redefined");
    }
  }
}

async function followHost(hostId: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await reconcileHost(hostId);
      const client = await hosts().forHost(hostId);
      await new Promise<void>((resolve) => {
        const sub = client.vm.events.subscribe(
          {},
          {
            onData: (envelope) => {
              const event = "data" in envelope ? envelope.data : envelope;
              if (event.type !== "state") return;
              void recordVmState(db(), event.vmId, event.state as PowerState, event.reason).then(() =>
                event.state === "stopped" ? applyUndoPolicy(db(), client, event.vmId) : undefined,
              );
            },
            onError: () => resolve(),
            onComplete: () => resolve(),
          },
        );
        signal.addEventListener(
          "abort",
          () => {
            sub.unsubscribe();
            resolve();
          },
          { once: true },
        );
      });
    } catch {
      // Host unreachable: try again shortly; the dashboard shows it as offline meanwhile.
    }
    if (!signal.aborted) await new Promise((r) => setTimeout(r, 2000));
  }
}

export function startStateSync(): { stop(): void } {
  const controller = new AbortController();
  void db()
    .host.findMany({ select: { id: true } })
    .then((rows) => rows.forEach((h) => void followHost(h.id, controller.signal)));
  return { stop: () => controller.abort() };
}
