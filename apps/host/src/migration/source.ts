/**
 * The source's half of a live move (QEMU's documented storage migration over NBD): mirror every
 * writable disk into the target's NBD export (sync=full, write-blocking once in sync), wait until
 * all are READY, migrate RAM over TLS, and after the switch-over end the mirrors with a
 * non-forced block-job-cancel, which leaves the target a complete copy. Any failure or a cancel
 * undoes this side only: the guest keeps running here.
 */
import { plugClipboard, unplugClipboard } from "@guesthouse/qemu/clipboard-port";
import { crashPoint } from "@guesthouse/shared/crash-point";
import type { QemuInstance } from "@guesthouse/qemu/instance";
import type { z } from "zod";
import type { MigrationStartInput } from "@guesthouse/shared/host-migration-api";
import { EngineError, InvalidStateError } from "../errors.ts";
import { hardStop } from "../vm-launch.ts";
import type { VmManager } from "../vm-manager.ts";
import type { VmRecord } from "../vm-record.ts";
import { blockJobs, completedFigures, endJobs, queryMigrate, waitJobsReady, waitMigrationEnd } from "./qmp-steps.ts";
import type { MigrationFigures, MoveRegistry, SourceMove } from "./registry.ts";
import { assertLiveMovable } from "./source-checks.ts";
import { addTlsObject, removeTls, writeTlsFiles } from "./tls-creds.ts";

type StartInput = z.infer<typeof MigrationStartInput>;

const MIRROR_READY_TIMEOUT_MS = 30 * 60_000;
const RAM_TIMEOUT_MS = 30 * 60_000;
const END_JOBS_TIMEOUT_MS = 60_000;

const mirrorJob = (i: number) => `mig-mirror${i}`;
const nbdNode = (i: number) => `mig-nbd${i}`;
const exportName = (i: number) => `disk${i}`;

/** Writable disks travel by mirror; read-only ones (a shared base) must already be on the target. */
const mirrored = (rec: VmRecord) => rec.spec.disks.flatMap((d, i) => (d.readOnly ? [] : [i]));

/** `abort`: made by the caller when the request arrived, so a cancel works even before this runs. */
export async function startLiveMove(
  m: VmManager,
  moves: MoveRegistry,
  rec: VmRecord,
  input: StartInput,
  abort: AbortController,
): Promise<MigrationFigures> {
  if (abort.signal.aborted) throw new InvalidStateError(`the move of VM '${rec.id}' was cancelled; it keeps running here`);
  await assertLiveMovable(m, rec);
  const move = moves.claim(rec.id, { role: "source", phase: "mirroring", startedAt: Date.now(), abort } as SourceMove);
  const instance = rec.instance as QemuInstance;
  const { qmp } = instance;
  const signal = move.abort.signal;
  const disks = mirrored(rec);
  const vmDir = m.paths.vmDir(rec.id);
  let unplugged = false;
  try {
    const dir = await writeTlsFiles({ vmDir, tls: input.tls, endpoint: "client", owner: m.guestFiles.user });
    await addTlsObject(qmp, dir, "client");
    const { host, nbdPort, migrationPort } = input.target;
    for (const i of disks) {
      await qmp.execute("blockdev-add", {
        driver: "nbd",
        "node-name": nbdNode(i),
        server: { type: "inet", host, port: String(nbdPort) },
        export: exportName(i),
        "tls-creds": "mig-tls",
      });
      await qmp.execute("blockdev-mirror", {
        "job-id": mirrorJob(i),
        device: `disk${i}`,
        target: nbdNode(i),
        sync: "full",
        // Once in sync every guest write reaches the target before it completes, so the target
        // is complete the moment the CPUs stop at the switch-over.
        "copy-mode": "write-blocking",
        speed: input.maxBandwidth,
        "auto-dismiss": true,
      });
    }
    await waitJobsReady(qmp, disks.map(mirrorJob), { timeoutMs: MIRROR_READY_TIMEOUT_MS, signal });
    move.phase = "migrating";
    if (rec.spec.clipboard) {
      unplugged = true;
      await unplugClipboard(qmp); // QEMU refuses to migrate while the vdagent chardev exists (ADR 0030)
    }
    await qmp.execute("migrate-set-capabilities", { capabilities: [{ capability: "events", state: true }] });
    await qmp.execute("migrate-set-parameters", {
      "tls-creds": "mig-tls",
      "tls-hostname": host,
      "max-bandwidth": input.maxBandwidth,
      "downtime-limit": input.downtimeLimitMs,
    });
    const ended = waitMigrationEnd(qmp, { timeoutMs: RAM_TIMEOUT_MS, signal });
    ended.catch(() => undefined);
    await qmp.execute("migrate", { uri: `tcp:${host}:${migrationPort}` });
    const info = await ended;
    if (info.status !== "completed") {
      throw new EngineError(`the RAM migration ${info.status}${info["error-desc"] ? `: ${info["error-desc"]}` : ""}`);
    }
    move.phase = "completing";
    const diskBytes = (await blockJobs(qmp)).reduce((sum, j) => sum + j.len, 0);
    // The CPUs are stopped for good here: the mirrors' last writes land, and the target gets a full copy.
    // Figures only after: every step here is part of the pause the guest sees until the target runs it.
    await endJobs(qmp, disks.map(mirrorJob), { force: false, timeoutMs: END_JOBS_TIMEOUT_MS });
    const figures = await completedFigures(qmp).catch(() => info);
    move.figures = {
      downtimeMs: figures.downtime ?? 0,
      ramMs: figures["total-time"] ?? 0,
      totalMs: Date.now() - move.startedAt,
      ramBytes: figures.ram?.transferred ?? 0,
      diskBytes,
    };
    move.phase = "switched-over";
    // The guest lives at the target now; this QEMU only waits to be released.
    m.setState(rec, "paused", "migrated");
    return move.figures;
  } catch (err) {
    const cancelled = signal.aborted;
    move.phase = cancelled ? "cancelled" : "failed";
    move.error = (err as Error).message;
    await undoSourceSide(m, rec, instance, disks, unplugged);
    moves.release(rec.id, move);
    if (cancelled) throw new InvalidStateError(`the move of VM '${rec.id}' was cancelled; it keeps running here`);
    throw new EngineError(`moving VM '${rec.id}' failed, it keeps running here: ${(err as Error).message}`);
  }
}

async function undoSourceSide(m: VmManager, rec: VmRecord, instance: QemuInstance, disks: number[], unplugged: boolean): Promise<void> {
  const { qmp } = instance;
  if (!instance.alive) return;
  const status = await queryMigrate(qmp).catch(() => undefined);
  if (status?.status && !["completed", "failed", "cancelled", "none"].includes(status.status)) {
    await qmp.execute("migrate_cancel").catch(() => undefined);
    await waitMigrationEnd(qmp, { timeoutMs: 30_000 }).catch(() => undefined);
  }
  await endJobs(qmp, disks.map(mirrorJob), { force: true, timeoutMs: END_JOBS_TIMEOUT_MS }).catch((err: Error) =>
    m.log.warn({ vmId: rec.id, err: err.message }, "mirror jobs not ended"),
  );
  for (const i of disks) await qmp.execute("blockdev-del", { "node-name": nbdNode(i) }).catch(() => undefined);
  await removeTls(qmp, m.paths.vmDir(rec.id));
  if (unplugged) await plugClipboard(qmp).catch((err: Error) => m.log.warn({ vmId: rec.id, err: err.message }, "clipboard not replugged"));
  // A migration that failed late leaves the CPUs stopped (postmigrate or failed): run them again.
  const run = await qmp.execute<{ status: string }>("query-status").catch(() => undefined);
  if (rec.state === "running" && run && run.status !== "running") await qmp.execute("cont").catch(() => undefined);
}

/** Stops a move that is still under way; the guest keeps running here. */
export async function cancelLiveMove(
  m: VmManager,
  moves: MoveRegistry,
  id: string,
  pending: { run: Promise<unknown>; abort: AbortController } | undefined,
): Promise<void> {
  const rec = m.get(id);
  const move = moves.get(id);
  if (!pending) throw new InvalidStateError(`VM '${id}' is not being moved from this host`);
  if (move?.role === "source" && (move.phase === "completing" || move.phase === "switched-over")) {
    throw new InvalidStateError(`the move of VM '${id}' has already switched over; it cannot be cancelled`);
  }
  const { run: running } = pending;
  pending.abort.abort(new Error("cancelled"));
  // migrate_cancel at once: the RAM stream may be waiting on a slow link.
  await rec.instance?.qmp.execute("migrate_cancel").catch(() => undefined);
  await running.catch(() => undefined);
}

/**
 * After the switch-over, when the target never ran the guest (its service stopped answering before
 * the console's finish reached it): the guest runs here again. Safe because the target's copy never
 * ran and this side's disks took no write since the CPUs stopped; the console removes the target's
 * half when it answers again (ADR 0045).
 */
export async function reclaimMovedVm(m: VmManager, moves: MoveRegistry, rec: VmRecord): Promise<void> {
  const move = moves.get(rec.id);
  if (!move || move.role !== "source" || move.phase !== "switched-over" || !rec.instance?.alive) {
    throw new InvalidStateError(`VM '${rec.id}' has not switched over to another host; nothing to take back`);
  }
  await undoSourceSide(m, rec, rec.instance, mirrored(rec), Boolean(rec.spec.clipboard));
  // QEMU takes its disks back (they were handed over at completion) as it continues.
  await rec.instance.qmp.execute("cont");
  moves.release(rec.id, move);
  m.setState(rec, "running", "move-undone");
}

/** After the target runs the guest: this side's QEMU goes and the VM and its disk files are forgotten here. */
export async function releaseMovedVm(m: VmManager, moves: MoveRegistry, rec: VmRecord, deleteDisk: (id: string) => Promise<void>) {
  const move = moves.get(rec.id);
  if (!move || move.role !== "source" || move.phase !== "switched-over") {
    throw new InvalidStateError(`VM '${rec.id}' has not been moved away from this host; nothing to release`);
  }
  crashPoint("migration.release:begun"); // the target runs the guest; this side still holds its copy
  if (rec.instance) {
    rec.expectExit = { state: "stopped", reason: "migrated" };
    await hardStop(rec.instance);
  }
  await m.store.remove(rec.id);
  m.records.delete(rec.id);
  m.events.publish({ type: "removed", vmId: rec.id, at: Date.now() });
  const deleted: string[] = [];
  for (const d of rec.spec.disks) {
    if (d.readOnly) continue;
    try {
      await deleteDisk(d.disk);
      deleted.push(d.disk);
    } catch (err) {
      m.log.warn({ vmId: rec.id, disk: d.disk, err: (err as Error).message }, "disk of a moved VM kept");
    }
  }
  moves.release(rec.id, move);
  return { id: rec.id, deletedDisks: deleted };
}
