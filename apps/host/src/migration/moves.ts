/** The host service's face for moves between hosts: each call runs in the VM's queue, except cancel and progress. */
import type { z } from "zod";
import type {
  MigrationColdExportInput,
  MigrationColdImportInput,
  MigrationPrepareInput,
  MigrationStartInput,
} from "@guesthouse/shared/host-migration-api";
import { InvalidStateError } from "../errors.ts";
import type { HostService } from "../service.ts";
import { coldExport, coldExportEnd, coldImport } from "./cold.ts";
import { blockJobs, queryMigrate } from "./qmp-steps.ts";
import { MoveRegistry } from "./registry.ts";
import { cancelLiveMove, reclaimMovedVm, releaseMovedVm, startLiveMove } from "./source.ts";
import { abortIncoming, finishIncoming, prepareIncoming } from "./target.ts";

const registries = new WeakMap<HostService, MoveRegistry>();
const registryOf = (s: HostService) => {
  let r = registries.get(s);
  if (!r) registries.set(s, (r = new MoveRegistry()));
  return r;
};

const pendingStarts = new WeakMap<HostService, Map<string, { run: Promise<unknown>; abort: AbortController }>>();
const startsOf = (s: HostService) => {
  let r = pendingStarts.get(s);
  if (!r) pendingStarts.set(s, (r = new Map()));
  return r;
};

export function movesOf(s: HostService) {
  const moves = registryOf(s);
  const m = s.vms;
  const starts = startsOf(s);
  return {
    /** What the console hands the target's prepare: the spec and each writable disk's size. */
    describe: (id: string) =>
      m.serialised(id, "migration-describe", async (rec) => ({
        id,
        state: rec.state,
        spec: rec.spec,
        disks: await Promise.all(
          rec.spec.disks
            .filter((d) => !d.readOnly)
            .map(async (d) => ({ disk: d.disk, sizeBytes: (await s.disks.info(d.disk)).virtualSizeBytes })),
        ),
      })),
    prepare: (input: z.infer<typeof MigrationPrepareInput>) =>
      m.queue.run(input.id, "migration-prepare", () => prepareIncoming(m, s.disks, moves, input)),
    /** A second start while one is queued or running is refused, not queued behind it. */
    start: (input: z.infer<typeof MigrationStartInput>) => {
      const { id } = input;
      m.get(id);
      const current = moves.get(id);
      if (starts.has(id) || (current && current.role === "source" && current.phase === "switched-over")) {
        return Promise.reject(new InvalidStateError(`VM '${id}' is already being moved; wait for that move or cancel it`));
      }
      const abort = new AbortController();
      const run = m.serialised(id, "migration-start", (rec) => startLiveMove(m, moves, rec, input, abort));
      starts.set(id, { run, abort });
      void run.then(
        () => starts.delete(id),
        () => starts.delete(id),
      );
      return run;
    },
    cancel: (id: string) => cancelLiveMove(m, moves, id, starts.get(id)),
    finish: (id: string) => m.serialised(id, "migration-finish", (rec) => finishIncoming(m, moves, rec)).then(() => s.view(id)),
    abort: (id: string) => m.serialised(id, "migration-abort", (rec) => abortIncoming(m, s.disks, moves, rec)).then(() => ({ id })),
    release: (id: string) => m.serialised(id, "migration-release", (rec) => releaseMovedVm(m, moves, rec, (d) => s.disks.delete(d))),
    reclaim: (id: string) => m.serialised(id, "migration-reclaim", (rec) => reclaimMovedVm(m, moves, rec)).then(() => s.view(id)),
    coldExport: (input: z.infer<typeof MigrationColdExportInput>) =>
      m.serialised(input.id, "migration-cold-export", (rec) => coldExport(m, moves, rec, input)),
    coldExportEnd: (id: string) => coldExportEnd(m, moves, id),
    coldImport: (input: z.infer<typeof MigrationColdImportInput>) =>
      // Not in the VM's queue: it ends in define, which queues itself; the registry keeps it single.
      s.longOps
        .run(input.id, "cold move copy", (control) => coldImport(s, moves, input, control), `the cold move of VM '${input.id}'`)
        .then(() => s.view(input.id)),
    progress: async (id: string) => {
      const move = moves.get(id);
      if (!move) return { id, moving: false as const };
      const qmp = m.records.get(id)?.instance?.qmp;
      const [mig, jobs] = qmp
        ? await Promise.all([queryMigrate(qmp).catch(() => undefined), blockJobs(qmp).catch(() => [])])
        : [undefined, []];
      return {
        id,
        moving: true as const,
        role: move.role,
        phase: move.phase,
        startedAt: move.startedAt,
        error: move.error ?? null,
        figures: move.role === "source" ? (move.figures ?? null) : null,
        ram: mig?.ram ? { transferredBytes: mig.ram.transferred, remainingBytes: mig.ram.remaining, totalBytes: mig.ram.total } : null,
        disks: jobs
          .filter((j) => j.device.startsWith("mig-"))
          .map((j) => ({ job: j.device, offsetBytes: j.offset, lenBytes: j.len, ready: j.ready })),
      };
    },
  };
}
