// Writing a snapshot the host has taken into the tree: by the request that took it, or by
// reconciliation from the task's journal when the console died before it could.
import type { Db } from "@guesthouse/db";
import { audit } from "./audit.ts";

export interface PlannedSnapshot {
  tag: string;
  name: string;
  description: string;
  withRam: boolean;
  parentId: string | null;
}

export const snapshotSelect = {
  id: true,
  name: true,
  description: true,
  withRam: true,
  parentId: true,
  current: true,
  createdAt: true,
  createdBy: { select: { email: true } },
} as const;

export async function recordSnapshot(
  db: Db,
  vm: { id: string; name: string },
  s: PlannedSnapshot,
  actor: { id: string | null; email: string; ip?: string; taskId?: string },
) {
  return db.$transaction(async (tx) => {
    const existing = await tx.snapshot.findFirst({ where: { vmId: vm.id, tag: s.tag }, select: snapshotSelect });
    if (existing) return existing;
    const parent = s.parentId ? await tx.snapshot.findUnique({ where: { id: s.parentId }, select: { id: true } }) : null;
    await tx.snapshot.updateMany({ where: { vmId: vm.id }, data: { current: false } });
    const row = await tx.snapshot.create({
      data: {
        vmId: vm.id,
        name: s.name,
        tag: s.tag,
        description: s.description,
        withRam: s.withRam,
        parentId: parent?.id,
        current: true,
        createdById: actor.id,
      },
      select: snapshotSelect,
    });
    await audit(tx, {
      actorId: actor.id,
      actorName: actor.email,
      action: "snapshot.take",
      vmId: vm.id,
      vmName: vm.name,
      outcome: "success",
      detail: { name: s.name, withRam: s.withRam },
      ip: actor.ip,
      taskId: actor.taskId,
    });
    return row;
  });
}

type Actor = { id: string | null; email: string; ip?: string; taskId?: string };
/** The snapshot a revert or delete is about, as its task journals it. */
export interface SnapshotRef {
  id: string;
  tag: string;
  name: string;
}

/** "You are here" moves to the snapshot the host reverted to. */
export async function recordRevert(db: Db, vm: { id: string; name: string }, snap: SnapshotRef, actor: Actor): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.snapshot.updateMany({ where: { vmId: vm.id }, data: { current: false } });
    await tx.snapshot.updateMany({ where: { id: snap.id, vmId: vm.id }, data: { current: true } });
    await audit(tx, {
      actorId: actor.id,
      actorName: actor.email,
      action: "snapshot.revert",
      vmId: vm.id,
      vmName: vm.name,
      outcome: "success",
      detail: { name: snap.name },
      ip: actor.ip,
      taskId: actor.taskId,
    });
  });
}

/** The snapshot the host deleted leaves the tree: its children move up to its parent, and so does "you are here". */
export async function recordSnapshotDelete(db: Db, vm: { id: string; name: string }, snap: SnapshotRef, actor: Actor): Promise<void> {
  await db.$transaction(async (tx) => {
    const row = await tx.snapshot.findFirst({ where: { id: snap.id, vmId: vm.id }, select: { parentId: true, current: true } });
    if (!row) return;
    await tx.snapshot.updateMany({ where: { parentId: snap.id }, data: { parentId: row.parentId } });
    if (row.current && row.parentId) await tx.snapshot.update({ where: { id: row.parentId }, data: { current: true } });
    await tx.snapshot.delete({ where: { id: snap.id } });
    await audit(tx, {
      actorId: actor.id,
      actorName: actor.email,
      action: "snapshot.delete",
      vmId: vm.id,
      vmName: vm.name,
      outcome: "success",
      detail: { name: snap.name },
      ip: actor.ip,
      taskId: actor.taskId,
    });
  });
}
