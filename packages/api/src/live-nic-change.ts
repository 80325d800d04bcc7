// Port forwards and NIC links: changes to a VM's networking that its host applies live rather than
// through the VM's spec, journaled like spec changes (vm-spec-change.ts, ADR 0018). A change cut
// short is settled by bringing the host to what the DB holds — a network's whole list of forwards,
// or a NIC's link — and the audit row naming the task says whether it had committed (finished) or
// not (undone).
import type { Db } from "@guesthouse/db";
import type { HostClient } from "./host-gateway.ts";

export const FORWARD_KINDS = ["vm.forwardAdd", "vm.forwardRemove"] as const;
export const NIC_LINK_KIND = "vm.nicLink";

type Outcome = { state: "succeeded" | "failed"; line: string; error?: string };

const notFound = (err: { data?: { code?: string } }) => {
  if (err?.data?.code !== "NOT_FOUND") throw err;
};

/** Makes the host's forwards of `networkId` exactly the DB's (rows of every VM on that network). */
export async function syncForwards(db: Db, host: HostClient, networkId: string): Promise<void> {
  const onHost = (await host.network.list.query()).find((n) => n.network.id === networkId);
  if (!onHost) return;
  const rows = await db.portForward.findMany({
    where: { networkId },
    select: { protocol: true, hostPort: true, guestPort: true, nic: { select: { mac: true } } },
  });
  const key = (f: { protocol: string; hostPort: number }) => `${f.protocol}/${f.hostPort}`;
  const wanted = new Map(rows.map((r) => [key(r), r]));
  for (const f of onHost.forwards) {
    const want = wanted.get(key(f));
    if (want && want.guestPort === f.guestPort && want.nic.mac === f.guestMac) {
      wanted.delete(key(f));
      continue;
    }
    await host.network.removeForward.mutate({ network: networkId, protocol: f.protocol, hostPort: f.hostPort }).catch(notFound);
  }
  for (const r of wanted.values()) {
    await host.network.addForward.mutate({
      network: networkId,
      forward: { protocol: r.protocol as "tcp" | "udp", hostPort: r.hostPort, guestMac: r.nic.mac, guestPort: r.guestPort },
    });
  }
}

const committed = async (db: Db, taskId: string) => (await db.auditEvent.count({ where: { taskId } })) > 0;

function settled(done: boolean, what: string): Outcome {
  if (done) return { state: "succeeded", line: `finished after an interruption: ${what}` };
  const undone = "the change had not been recorded, so the host is back to what the console holds";
  return { state: "failed", line: `interrupted: ${undone}`, error: `Interrupted (the console or the host stopped half-way): ${undone}` };
}

export async function settleForwardChange(db: Db, host: HostClient, task: { id: string; input: unknown }): Promise<Outcome> {
  const { networkId } = (task.input ?? {}) as { networkId?: string };
  if (networkId) await syncForwards(db, host, networkId);
  return settled(await committed(db, task.id), "the host's port forwards are the ones the console recorded");
}

export async function settleNicLink(db: Db, host: HostClient, task: { id: string; vmId: string | null; input: unknown }): Promise<Outcome> {
  const { nicId } = (task.input ?? {}) as { nicId?: string };
  const nic = nicId ? await db.nic.findUnique({ where: { id: nicId }, select: { slot: true, linkUp: true, vmId: true } }) : null;
  if (nic) await host.vm.setLink.mutate({ id: nic.vmId, slot: nic.slot, up: nic.linkUp }).catch(notFound);
  return settled(await committed(db, task.id), "the NIC's link is as the console recorded");
}
