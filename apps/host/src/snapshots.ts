/**
 * VM snapshots, internal to the VM's qcow2 disks (the files are the truth; nothing else is stored).
 * Live (running/paused): QMP snapshot jobs, with RAM. Offline (stopped): `qemu-img snapshot`, disk only.
 * Every operation runs in the VM's queue, so it never races a power operation.
 */
import type { QemuInstance } from "@guesthouse/qemu/instance";
import { assertAllowed } from "./transitions.ts";
import { QemuImgError } from "@guesthouse/qemu/qemu-img";
import { crashPoint } from "@guesthouse/shared/crash-point";
import { dirname } from "node:path";
import { unlessDiskFull } from "./free-space.ts";
import { imgSnapshot, imgSnapshots, nodeSnapshots, runSnapshotJob, settleSnapshotJobs } from "@guesthouse/qemu/snapshot-ops";
import type { SnapshotEntry } from "@guesthouse/shared/host-snapshot-api";
import { AlreadyExistsError, BadInputError, DomainError, EngineError, InvalidStateError, NotFoundError } from "./errors.ts";
import type { HostService, VmView } from "./service.ts";
import { abandon, launch, prepareLaunch } from "./vm-launch.ts";
import type { VmManager } from "./vm-manager.ts";
import type { VmRecord } from "./vm-record.ts";
import { plugClipboard, withClipboardUnplugged } from "@guesthouse/qemu/clipboard-port";

const JOB_TIMEOUT_MS = 180_000;

/** The disks that hold a VM's snapshots: every writable qcow2 disk (node `disk<i>`, file on the host). */
interface Target {
  live: QemuInstance | undefined;
  nodes: string[];
  paths: string[];
}

const TABLE_OP = { take: "snapshotTake", revert: "snapshotRevert", delete: "snapshotDelete" } as const;

function target(m: VmManager, rec: VmRecord, op: string): Target {
  const vm = `VM '${rec.id}'`;
  if (op in TABLE_OP) assertAllowed(TABLE_OP[op as keyof typeof TABLE_OP], rec.id, rec.state);
  const undo = rec.spec.disks.find((d) => (d as { undo?: boolean }).undo);
  if (undo) throw new InvalidStateError(`${vm} runs disk '${undo.disk}' as an undo disk; snapshots are not available on undo disks`);
  const writable = rec.spec.disks.flatMap((d, i) => (d.readOnly ? [] : [{ node: `disk${i}`, path: m.paths.diskPath(d.disk) }]));
  if (writable.length === 0) throw new BadInputError(`${vm} has no disk to hold snapshots: add a disk`);
  const t = { nodes: writable.map((w) => w.node), paths: writable.map((w) => w.path) };
  if ((rec.state === "running" || rec.state === "paused") && rec.instance) return { live: rec.instance, ...t };
  if (rec.state === "stopped" || (rec.state === "suspended" && op !== "revert")) return { live: undefined, ...t };
  if (rec.state === "suspended") {
    throw new InvalidStateError(`${vm} has a saved state; restore it or discard the saved state before reverting to a snapshot`);
  }
  throw new InvalidStateError(`${vm} is busy (${rec.state}); try again when that has finished`);
}

/** Snapshots of each target disk (the first one is the list the API shows). */
async function perDisk(m: VmManager, t: Target): Promise<SnapshotEntry[][]> {
  if (t.live) {
    const qmp = t.live.qmp;
    await settleSnapshotJobs(qmp, { timeoutMs: JOB_TIMEOUT_MS });
    const out: SnapshotEntry[][] = [];
    for (const node of t.nodes) out.push(await nodeSnapshots(qmp, node));
    return out;
  }
  return Promise.all(t.paths.map((p) => imgSnapshots(p, m.config.qemuImgBinary)));
}

async function engine<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    if (err instanceof QemuImgError) throw new EngineError(`${what}: ${err.message}`);
    throw new EngineError(`${what} failed: ${(err as Error).message}`);
  }
}

export function listSnapshots(s: HostService, id: string): Promise<SnapshotEntry[]> {
  return s.vms.serialised(id, "snapshot-list", async (rec) => {
    const t = target(s.vms, rec, "list");
    const entries = await engine(`listing snapshots of VM '${id}'`, async () => (await perDisk(s.vms, t))[0] ?? []);
    const current = await s.vms.store.readCurrentSnapshot(id);
    return entries.map((e) => ({ ...e, current: e.name === current }));
  });
}

export function takeSnapshot(s: HostService, id: string, name: string, withRam?: boolean): Promise<SnapshotEntry> {
  const m = s.vms;
  return m.serialised(id, "snapshot-take", async (rec) => {
    const t = target(m, rec, "take");
    const ram = withRam ?? t.live !== undefined;
    if (ram && !t.live) {
      throw new InvalidStateError(`VM '${id}' is ${rec.state}: a snapshot with RAM needs it running or paused; take it with withRam false`);
    }
    const what = `taking snapshot '${name}' of VM '${id}'`;
    // The RAM state goes into the first disk's file: up to the guest's memory, plus some metadata.
    const needed = (ram ? rec.spec.memoryMiB : 0) * 1024 * 1024 + 4 * 1024 * 1024;
    return unlessDiskFull(what, dirname(t.paths[0] ?? m.paths.disksDir), needed, () =>
      engine(what, async () => {
        if ((await perDisk(m, t)).some((d) => d.some((e) => e.name === name))) {
          throw new AlreadyExistsError(`VM '${id}' already has a snapshot named '${name}'`);
        }
        if (t.live && ram) {
          const qmp = t.live.qmp;
          // QEMU refuses savevm while the clipboard's vdagent is attached.
          await withClipboardUnplugged(qmp, rec.spec.clipboard, () =>
            runSnapshotJob(qmp, "snapshot-save", { tag: name, vmstate: t.nodes[0], devices: t.nodes }, { timeoutMs: JOB_TIMEOUT_MS }),
          );
        } else if (t.live) {
          // Disk-only while live: one atomic transaction over every disk.
          const actions = t.nodes.map((device) => ({ type: "blockdev-snapshot-internal-sync", data: { device, name } }));
          await t.live.qmp.execute("transaction", { actions });
        } else {
          await createOffline(m, t.paths, name);
        }
        const entry = (await perDisk(m, t))[0]?.find((e) => e.name === name);
        if (!entry) throw new EngineError(`${what}: QEMU reported success but the disk holds no such snapshot`);
        m.store.writeCurrentSnapshot(id, name);
        crashPoint("snapshot.take:taken");
        return entry;
      }),
    );
  });
}

/** All disks or none: a failure half-way removes what was already created. */
async function createOffline(m: VmManager, paths: string[], name: string): Promise<void> {
  const done: string[] = [];
  try {
    for (const p of paths) {
      await imgSnapshot("create", p, name, m.config.qemuImgBinary);
      done.push(p);
    }
  } catch (err) {
    for (const p of done) await imgSnapshot("delete", p, name, m.config.qemuImgBinary).catch(() => undefined);
    throw err;
  }
}

export function revertSnapshot(s: HostService, id: string, name: string): Promise<VmView> {
  const m = s.vms;
  const done = m.serialised(id, "snapshot-revert", async (rec) => {
    const t = target(m, rec, "revert");
    const what = `reverting VM '${id}' to snapshot '${name}'`;
    const disks = await engine(what, () => perDisk(m, t));
    const entry = disks[0]?.find((e) => e.name === name);
    if (!entry) throw new NotFoundError(`VM '${id}' has no snapshot named '${name}'`);
    if (disks.some((d) => !d.some((e) => e.name === name))) {
      throw new InvalidStateError(`snapshot '${name}' of VM '${id}' is missing on some of its disks; it cannot be reverted to`);
    }
    const load = (qmp: QemuInstance["qmp"]) =>
      runSnapshotJob(qmp, "snapshot-load", { tag: name, vmstate: t.nodes[0], devices: t.nodes }, { timeoutMs: JOB_TIMEOUT_MS });
    if (t.live) {
      if (!entry.withRam) {
        throw new InvalidStateError(`snapshot '${name}' holds no RAM (taken while stopped); power VM '${id}' off to revert to it`);
      }
      const wasRunning = rec.state === "running";
      await engine(what, async () => {
        // The snapshot holds no clipboard port; the running QEMU must match it while it loads.
        await withClipboardUnplugged(t.live!.qmp, rec.spec.clipboard, () => load(t.live!.qmp));
        const status = await t.live!.qmp.execute<{ running: boolean }>("query-status");
        if (wasRunning && !status.running) await t.live!.qmp.execute("cont");
      });
    } else if (!entry.withRam) {
      await engine(what, async () => {
        for (const p of t.paths) await imgSnapshot("apply", p, name, m.config.qemuImgBinary);
      });
    } else await startFromSnapshot(m, rec, what, load);
    m.store.writeCurrentSnapshot(id, name);
    crashPoint("snapshot.revert:reverted");
  });
  return done.then(() => s.view(id));
}

/** A RAM snapshot of a stopped VM: start it paused (-S), load the snapshot, then let it run. */
async function startFromSnapshot(m: VmManager, rec: VmRecord, what: string, load: (qmp: QemuInstance["qmp"]) => Promise<void>) {
  const resolved = await prepareLaunch(m, rec);
  m.setState(rec, "starting", "restored");
  let instance: QemuInstance | undefined;
  try {
    instance = await launch(m, rec, resolved, { clipboardPlugged: false });
    await load(instance.qmp);
    if (rec.spec.clipboard) await plugClipboard(instance.qmp);
    await instance.qmp.execute("cont");
  } catch (err) {
    rec.expectExit = { state: "stopped", reason: "start-failed" };
    await abandon(rec, instance ?? rec.instance);
    rec.expectExit = undefined;
    await m.removeRuntimeFiles(rec.id);
    m.setState(rec, "stopped", "start-failed");
    throw new EngineError(`${what} failed (the VM stays stopped): ${(err as Error).message}`);
  }
  m.setState(rec, "running", "restored");
}

export function deleteSnapshot(s: HostService, id: string, name: string): Promise<{ id: string; name: string }> {
  const m = s.vms;
  return m.serialised(id, "snapshot-delete", async (rec) => {
    const t = target(m, rec, "delete");
    const what = `deleting snapshot '${name}' of VM '${id}'`;
    const disks = await engine(what, () => perDisk(m, t));
    if (!disks.some((d) => d.some((e) => e.name === name))) throw new NotFoundError(`VM '${id}' has no snapshot named '${name}'`);
    await engine(what, async () => {
      if (t.live) {
        const devices = t.nodes.filter((_, i) => disks[i]?.some((e) => e.name === name));
        await runSnapshotJob(t.live.qmp, "snapshot-delete", { tag: name, devices }, { timeoutMs: JOB_TIMEOUT_MS });
      } else {
        for (const [i, p] of t.paths.entries()) {
          if (disks[i]?.some((e) => e.name === name)) await imgSnapshot("delete", p, name, m.config.qemuImgBinary);
        }
      }
    });
    if ((await m.store.readCurrentSnapshot(id)) === name) m.store.writeCurrentSnapshot(id, null);
    crashPoint("snapshot.delete:deleted");
    return { id, name };
  });
}
