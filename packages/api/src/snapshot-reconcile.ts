// After a crash between the host's change and the DB commit, the two can disagree. The qcow2
// files win: rows whose tag the disk no longer has are removed, tags the disk has without a row
// get one (parented to the VM's current snapshot, since the tree position was lost).
import type { Db } from "@guesthouse/db";
import type { HostClient } from "./host-gateway.ts";

export async function reconcileSnapshots(db: Db, host: HostClient, vmId: string): Promise<{ added: number; removed: number }> {
  const onDisk = await host.snapshot.list.query({ id: vmId });
  const rows = await db.snapshot.findMany({ where: { vmId }, select: { id: true, tag: true, parentId: true, current: true } });
  const tags = new Set(onDisk.map((s) => s.name));
  const stale = rows.filter((r) => !tags.has(r.tag));
  const known = new Set(rows.map((r) => r.tag));
  const missing = onDisk.filter((s) => !known.has(s.name) && s.name.startsWith("gh-"));
  if (!stale.length && !missing.length) return { added: 0, removed: 0 };
  await db.$transaction(async (tx) => {
    for (const r of stale) {
      await tx.snapshot.updateMany({ where: { parentId: r.id }, data: { parentId: r.parentId } });
      await tx.snapshot.delete({ where: { id: r.id } });
    }
    const current = await tx.snapshot.findFirst({ where: { vmId, current: true }, select: { id: true } });
    for (const s of missing) {
      await tx.snapshot.create({
        data: {
          vmId,
          tag: s.name,
          name: `recovered ${s.name}`,
          withRam: s.withRam,
          parentId: current?.id,
          createdAt: new Date(s.createdAt),
        },
      });
    }
  });
  return { added: missing.length, removed: stale.length };
}
