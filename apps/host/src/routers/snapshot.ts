import { SnapshotListInput, SnapshotRefInput, SnapshotTakeInput } from "@guesthouse/shared/host-snapshot-api";
import { deleteSnapshot, listSnapshots, revertSnapshot, takeSnapshot } from "../snapshots.ts";
import { hostProcedure, router } from "../trpc.ts";

/** Internal qcow2 snapshots of a VM (with RAM when it runs, disk-only when it is stopped). */
export const snapshotRouter = router({
  list: hostProcedure.input(SnapshotListInput).query(({ ctx, input }) => listSnapshots(ctx.service, input.id)),
  take: hostProcedure.input(SnapshotTakeInput).mutation(({ ctx, input }) => takeSnapshot(ctx.service, input.id, input.name, input.withRam)),
  revert: hostProcedure.input(SnapshotRefInput).mutation(({ ctx, input }) => revertSnapshot(ctx.service, input.id, input.name)),
  delete: hostProcedure.input(SnapshotRefInput).mutation(({ ctx, input }) => deleteSnapshot(ctx.service, input.id, input.name)),
});
