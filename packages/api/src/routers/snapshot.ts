// Snapshots as a tree. The qcow2 files on the host are the truth for content; Postgres holds the
// tree. Taking, reverting and deleting are journaled as tasks before the host is called
// (docs/decisions/0018-tasks-journal.md); renaming touches only the tree.
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@guesthouse/db";
import { SnapshotNameSchema } from "@guesthouse/shared/console-api";
import { audit } from "../audit.ts";
import {
  recordRevert,
  recordSnapshot,
  recordSnapshotDelete,
  snapshotSelect,
  type PlannedSnapshot,
  type SnapshotRef,
} from "../snapshot-record.ts";
import { runTask } from "../tasks.ts";
import { router, vmOperationProcedure, vmProcedure } from "../trpc.ts";

async function findSnapshot(db: Db, vmId: string, id: string): Promise<SnapshotRef> {
  const snap = await db.snapshot.findFirst({ where: { id, vmId }, select: { id: true, tag: true, name: true } });
  if (!snap) throw new TRPCError({ code: "NOT_FOUND", message: "That snapshot no longer exists" });
  return snap;
}

export const snapshotRouter = router({
  list: vmProcedure("vm.view").query(({ ctx }) =>
    ctx.db.snapshot.findMany({ where: { vmId: ctx.vm.id }, select: snapshotSelect, orderBy: { createdAt: "asc" } }),
  ),

  take: vmOperationProcedure("snapshotTake")
    .input(z.object({ name: SnapshotNameSchema, description: z.string().max(500).default("") }))
    .mutation(async ({ ctx, input }) => {
      if (await ctx.db.snapshot.findUnique({ where: { vmId_name: { vmId: ctx.vm.id, name: input.name } }, select: { id: true } })) {
        throw new TRPCError({ code: "CONFLICT", message: `VM '${ctx.vm.name}' already has a snapshot named '${input.name}'` });
      }
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      const withRam = ctx.vm.state === "running" || ctx.vm.state === "paused";
      const tag = `gh-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
      const parent = await ctx.db.snapshot.findFirst({ where: { vmId: ctx.vm.id, current: true }, select: { id: true } });
      const planned: PlannedSnapshot = { tag, name: input.name, description: input.description, withRam, parentId: parent?.id ?? null };
      // Journal first (the task holds what the row will be), then the host, then the row: a console
      // that dies in between finishes it from the journal (reconcileTasks), tree position included.
      return runTask(ctx.db, { kind: "snapshot.take", vm: ctx.vm, actor: ctx.user, input: { ...planned } }, async (task) => {
        await task.progress(10, `taking '${input.name}' ${withRam ? "with RAM" : "of the disks"}`);
        await host.snapshot.take.mutate({ id: ctx.vm.id, name: tag, withRam });
        await task.progress(90, "recording it in the tree");
        return recordSnapshot(ctx.db, ctx.vm, planned, { id: ctx.user.id, email: ctx.user.email, ip: ctx.ip, taskId: task.id });
      });
    }),

  revert: vmOperationProcedure("snapshotRevert")
    .input(z.object({ snapshotId: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const snap = await findSnapshot(ctx.db, ctx.vm.id, input.snapshotId);
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      // Journal, host, then the tree (docs/decisions/0018-tasks-journal.md): the host records which
      // snapshot it reverted to, so a console that dies in between finishes it from the journal.
      await runTask(ctx.db, { kind: "snapshot.revert", vm: ctx.vm, actor: ctx.user, input: { ...snap } }, async (task) => {
        await task.progress(10, `reverting to '${snap.name}'`);
        await host.snapshot.revert.mutate({ id: ctx.vm.id, name: snap.tag });
        await task.progress(90, "moving 'you are here'");
        await recordRevert(ctx.db, ctx.vm, snap, { id: ctx.user.id, email: ctx.user.email, ip: ctx.ip, taskId: task.id });
      });
      return { ok: true as const };
    }),

  update: vmProcedure("vm.snapshot")
    .input(z.object({ snapshotId: z.string(), name: SnapshotNameSchema, description: z.string().max(500) }))
    .mutation(async ({ ctx, input }) => {
      const updated = await ctx.db.snapshot.updateMany({
        where: { id: input.snapshotId, vmId: ctx.vm.id },
        data: { name: input.name, description: input.description },
      });
      if (updated.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "That snapshot no longer exists" });
      await audit(ctx.db, {
        actorId: ctx.user.id,
        actorName: ctx.user.email,
        action: "snapshot.update",
        vmId: ctx.vm.id,
        vmName: ctx.vm.name,
        outcome: "success",
        detail: { name: input.name },
        ip: ctx.ip,
      });
      return { ok: true as const };
    }),

  delete: vmOperationProcedure("snapshotDelete")
    .input(z.object({ snapshotId: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const snap = await findSnapshot(ctx.db, ctx.vm.id, input.snapshotId);
      const host = await ctx.hosts.forHost(ctx.vm.hostId);
      await runTask(ctx.db, { kind: "snapshot.delete", vm: ctx.vm, actor: ctx.user, input: { ...snap } }, async (task) => {
        await task.progress(10, `deleting '${snap.name}'`);
        await host.snapshot.delete.mutate({ id: ctx.vm.id, name: snap.tag });
        await task.progress(90, "taking it out of the tree");
        await recordSnapshotDelete(ctx.db, ctx.vm, snap, { id: ctx.user.id, email: ctx.user.email, ip: ctx.ip, taskId: task.id });
      });
      return { ok: true as const };
    }),
});
