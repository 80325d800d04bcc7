// The one writer of Host.state, lastSeenAt and the capacity figures (ADR 0036). The console's
// heartbeat loop asks each host for its info; an answer records it, and a host silent for longer
// than the configured time becomes unreachable, its VMs unknown (never stopped: they may run on).
import type { Db } from "@guesthouse/db";
import type { HostClient } from "./host-gateway.ts";
import { markHostUnknown } from "./vm-state.ts";

export type HostInfoReport = Awaited<ReturnType<HostClient["host"]["info"]["query"]>>;

/** Records one answer; true when the host was unreachable until now (so its VMs are reconciled again). */
export async function recordHeartbeat(db: Db, hostId: string, info: HostInfoReport): Promise<boolean> {
  const before = await db.host.findUnique({ where: { id: hostId }, select: { state: true } });
  if (!before) return false;
  await db.host.update({
    where: { id: hostId },
    data: {
      state: "online",
      lastSeenAt: new Date(),
      cores: info.cores,
      memoryBytes: BigInt(info.memTotalBytes),
      memoryFreeBytes: BigInt(info.memFreeBytes),
      diskFreeBytes: BigInt(info.diskFreeBytes),
      kvm: info.kvm,
      cpuModels: info.cpu.models.filter((m) => m.usable).map((m) => m.id),
      cpuBaseline: info.cpu.baseline,
    },
  });
  return before.state === "unreachable";
}

/** Hosts not heard from since `cutoff` become unreachable and their VMs unknown; returns their ids. */
export async function markSilentHosts(db: Db, cutoff: Date): Promise<string[]> {
  const silent = await db.host.findMany({
    where: {
      state: { not: "unreachable" },
      OR: [{ lastSeenAt: { lt: cutoff } }, { lastSeenAt: null, createdAt: { lt: cutoff } }],
    },
    select: { id: true },
  });
  for (const { id } of silent) {
    // VMs first: whoever sees the host unreachable sees its VMs unknown too.
    await markHostUnknown(db, id);
    await db.host.update({ where: { id }, data: { state: "unreachable" } });
  }
  return silent.map((h) => h.id);
}
