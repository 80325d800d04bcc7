/**
 * The target's half of a live move: the VM's disks made empty at their sizes, a paused QEMU with
 * the same devices waiting on `-incoming defer`, an NBD server (TLS) exporting each disk writable
 * for the source's mirrors, and the RAM stream accepted over TLS. `finish` stops the NBD server,
 * plugs the clipboard back and lets the CPUs run. If the stream fails or QEMU dies before that,
 * this side removes itself: nothing of the VM is left here.
 */
import { rm } from "node:fs/promises";
import { plugClipboard } from "@guesthouse/qemu/clipboard-port";
import type { z } from "zod";
import type { MigrationPrepareInput } from "@guesthouse/shared/host-migration-api";
import type { DiskStore } from "../disks.ts";
import { BadInputError, EngineError, InvalidStateError } from "../errors.ts";
import { abandon, launch, prepareLaunch, settlesWithin } from "../vm-launch.ts";
import type { VmManager } from "../vm-manager.ts";
import type { VmRecord } from "../vm-record.ts";
import { checkRamFits, resolveCpu } from "../vm-spec-check.ts";
import { waitMigrationEnd } from "./qmp-steps.ts";
import type { MoveRegistry, TargetMove } from "./registry.ts";
import { addTlsObject, removeTls, writeTlsFiles } from "./tls-creds.ts";

type PrepareInput = z.infer<typeof MigrationPrepareInput>;

const INCOMING_TIMEOUT_MS = 60 * 60_000;
const FINISH_WAIT_MS = 60_000;

export interface Prepared {
  migrationUri: string;
  nbd: { host: string; port: number; exports: string[] };
}

/** Everything that makes this host refuse the VM, before anything is made. */
export async function assertCanReceive(
  m: VmManager,
  disks: DiskStore,
  input: Pick<PrepareInput, "id" | "spec"> & { disks?: PrepareInput["disks"] },
): Promise<void> {
  const { id, spec } = input;
  if (m.records.has(id)) throw new InvalidStateError(`VM '${id}' is already on this host; a move needs another host`);
  resolveCpu(m.config, id, spec);
  await checkRamFits(id, spec.memoryMiB, m.committedMiB());
  await m.networks.checkNics(spec.nics);
  for (const d of spec.disks) {
    const here = await disks.info(d.disk).then(
      () => true,
      () => false,
    );
    if (d.readOnly && !here) throw new BadInputError(`read-only disk '${d.disk}' of VM '${id}' is not on this host; copy it first`);
    if (!d.readOnly && here)
      throw new InvalidStateError(`a disk '${d.disk}' already exists on this host; remove it or rename the VM's disk`);
    if (!d.readOnly && input.disks && !input.disks.some((s) => s.disk === d.disk))
      throw new BadInputError(`disks: no size given for disk '${d.disk}'`);
  }
}

export async function prepareIncoming(m: VmManager, disks: DiskStore, moves: MoveRegistry, input: PrepareInput): Promise<Prepared> {
  await assertCanReceive(m, disks, input);
  const { id, spec, listen } = input;
  const made: string[] = [];
  let rec: VmRecord | undefined;
  try {
    for (const d of spec.disks) {
      if (d.readOnly) continue;
      await disks.create(d.disk, input.disks.find((s) => s.disk === d.disk)?.sizeBytes ?? 0);
      made.push(d.disk);
    }
    const since = Date.now();
    m.store.create(id, spec, { state: "starting", reason: "migrated", since });
    rec = m.newRecord(id, spec, "starting", "migrated", since);
    const resolved = await prepareLaunch(m, rec);
    const dir = await writeTlsFiles({ vmDir: m.paths.vmDir(id), tls: input.tls, endpoint: "server", owner: m.guestFiles.user });
    const instance = await launch(m, rec, resolved, { incoming: "defer" });
    const { qmp } = instance;
    await addTlsObject(qmp, dir, "server");
    await qmp.execute("nbd-server-start", {
      addr: { type: "inet", data: { host: listen.host, port: String(listen.nbdPort) } },
      "tls-creds": "mig-tls",
    });
    const exports: string[] = [];
    for (const [i, d] of spec.disks.entries()) {
      if (d.readOnly) continue;
      await qmp.execute("block-export-add", { type: "nbd", id: `mig-exp${i}`, "node-name": `disk${i}`, name: `disk${i}`, writable: true });
      exports.push(`disk${i}`);
    }
    await qmp.execute("migrate-set-capabilities", { capabilities: [{ capability: "events", state: true }] });
    await qmp.execute("migrate-set-parameters", { "tls-creds": "mig-tls" });
    const ended = waitMigrationEnd(qmp, { timeoutMs: INCOMING_TIMEOUT_MS });
    ended.catch(() => undefined);
    const uri = `tcp:${listen.host}:${listen.migrationPort}`;
    await qmp.execute("migrate-incoming", { uri });
    const received = Promise.race([
      ended.then((info) => {
        if (info.status !== "completed") throw new Error(`the incoming migration ${info.status}`);
      }),
      instance.exited.then(() => {
        throw new Error("QEMU went away before the move finished");
      }),
    ]);
    const move = moves.claim(id, { role: "target", phase: "waiting", startedAt: since, received } as TargetMove);
    const self = rec;
    received.then(
      () => {
        if (move.phase === "waiting") move.phase = "received";
      },
      (err: Error) => {
        if (moves.get(id) !== move) return;
        move.phase = "failed";
        move.error = err.message;
        m.log.warn({ vmId: id, err: err.message }, "incoming move failed; removing this side");
        void m.queue.run(id, "migration-drop", () => dropIncoming(m, disks, moves, self, made));
      },
    );
    return { migrationUri: uri, nbd: { host: listen.host, port: listen.nbdPort, exports } };
  } catch (err) {
    if (rec) await dropIncoming(m, disks, moves, rec, made);
    else for (const d of made) await disks.delete(d).catch(() => undefined);
    throw err instanceof InvalidStateError || err instanceof BadInputError
      ? err
      : new EngineError(`VM '${id}' cannot be received: ${(err as Error).message}`);
  }
}

/** Removes every trace of an incoming VM: its QEMU, its folder, the disks made for it. */
async function dropIncoming(m: VmManager, disks: DiskStore, moves: MoveRegistry, rec: VmRecord, made: string[]): Promise<void> {
  if (m.records.get(rec.id) !== rec) return;
  rec.expectExit = { state: "stopped", reason: "migrated" };
  await abandon(rec, rec.instance);
  await removeTls(undefined, m.paths.vmDir(rec.id));
  await m.store.remove(rec.id);
  m.records.delete(rec.id);
  m.events.publish({ type: "removed", vmId: rec.id, at: Date.now() });
  for (const d of made) {
    await disks.delete(d).catch((err: Error) => m.log.warn({ vmId: rec.id, disk: d, err: err.message }, "disk of a dropped move kept"));
  }
  const move = moves.get(rec.id);
  if (move) moves.release(rec.id, move);
}

/** After the source's move returned: the guest runs here. */
export async function finishIncoming(m: VmManager, moves: MoveRegistry, rec: VmRecord): Promise<void> {
  const move = moves.get(rec.id);
  if (!move || move.role !== "target") throw new InvalidStateError(`VM '${rec.id}' is not being moved to this host`);
  if (
    !(await settlesWithin(
      move.received.catch(() => undefined),
      FINISH_WAIT_MS,
    )) ||
    move.phase !== "received"
  ) {
    throw new InvalidStateError(`VM '${rec.id}' has not been received (${move.error ?? move.phase}); it cannot run here`);
  }
  const qmp = rec.instance?.qmp;
  if (!qmp) throw new EngineError(`VM '${rec.id}' lost its QEMU after it was received`);
  // No write of the source's may arrive once the guest runs here.
  await qmp.execute("nbd-server-stop");
  await removeTls(qmp, m.paths.vmDir(rec.id));
  if (rec.spec.clipboard) await plugClipboard(qmp);
  await qmp.execute("cont");
  moves.release(rec.id, move);
  m.setState(rec, "running", "migrated");
}

/** The console gives up on a move: this side goes (refused once the stream has arrived: finish it instead). */
export async function abortIncoming(m: VmManager, disks: DiskStore, moves: MoveRegistry, rec: VmRecord): Promise<void> {
  const move = moves.get(rec.id);
  if (!move || move.role !== "target") throw new InvalidStateError(`VM '${rec.id}' is not being moved to this host`);
  if (move.phase === "received") {
    throw new InvalidStateError(`VM '${rec.id}' has been received whole; finish the move here, the source has stopped it`);
  }
  await dropIncoming(
    m,
    disks,
    moves,
    rec,
    rec.spec.disks.filter((d) => !d.readOnly).map((d) => d.disk),
  );
  await rm(m.paths.vmDir(rec.id), { recursive: true, force: true });
}
