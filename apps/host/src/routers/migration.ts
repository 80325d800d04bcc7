import {
  MigrationColdExportInput,
  MigrationColdImportInput,
  MigrationPrepareInput,
  MigrationRefInput,
  MigrationStartInput,
} from "@guesthouse/shared/host-migration-api";
import { movesOf } from "../migration/moves.ts";
import { hostProcedure, router } from "../trpc.ts";

/** Moves between hosts (apps/host/src/migration/README.md): the console drives both ends. */
export const migrationRouter = router({
  /** Source: the spec and disk sizes the target's prepare needs. */
  describe: hostProcedure.input(MigrationRefInput).query(({ ctx, input }) => movesOf(ctx.service).describe(input.id)),
  /** Target: disks, a paused QEMU waiting for the stream, NBD exports; answers where to send. */
  prepare: hostProcedure.input(MigrationPrepareInput).mutation(({ ctx, input }) => movesOf(ctx.service).prepare(input)),
  /** Source: mirror disks, migrate RAM over TLS; resolves after the switch-over with QEMU's figures. */
  start: hostProcedure.input(MigrationStartInput).mutation(({ ctx, input }) => movesOf(ctx.service).start(input)),
  /** Source: stop a move under way; the guest keeps running here. */
  cancel: hostProcedure.input(MigrationRefInput).mutation(({ ctx, input }) => movesOf(ctx.service).cancel(input.id)),
  /** Target: after start resolved, the guest runs here. */
  finish: hostProcedure.input(MigrationRefInput).mutation(({ ctx, input }) => movesOf(ctx.service).finish(input.id)),
  /** Target: remove this side of a move that will not finish. */
  abort: hostProcedure.input(MigrationRefInput).mutation(({ ctx, input }) => movesOf(ctx.service).abort(input.id)),
  /** Source: after finish, forget the VM here (its QEMU stopped, its disk files removed). */
  release: hostProcedure.input(MigrationRefInput).mutation(({ ctx, input }) => movesOf(ctx.service).release(input.id)),
  /** Source: after the switch-over, when the target never ran the guest, run it here again. */
  reclaim: hostProcedure.input(MigrationRefInput).mutation(({ ctx, input }) => movesOf(ctx.service).reclaim(input.id)),
  /** Either side: phase, RAM and disk progress, QEMU's figures once switched over. */
  progress: hostProcedure.input(MigrationRefInput).query(({ ctx, input }) => movesOf(ctx.service).progress(input.id)),
  /** Source, stopped VM: serve its disk files for a cold copy. */
  coldExport: hostProcedure.input(MigrationColdExportInput).mutation(({ ctx, input }) => movesOf(ctx.service).coldExport(input)),
  /** Source: stop serving them. */
  coldExportEnd: hostProcedure.input(MigrationRefInput).mutation(({ ctx, input }) => movesOf(ctx.service).coldExportEnd(input.id)),
  /** Target: copy the files from the source's export and define the VM here, stopped. */
  coldImport: hostProcedure.input(MigrationColdImportInput).mutation(({ ctx, input }) => movesOf(ctx.service).coldImport(input)),
});
