/** Save to a state file (→ suspended), restore from it (→ running), or discard it (→ stopped). */
import { closeSync, openSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { QemuInstance } from "@guesthouse/qemu/instance";
import { EngineError } from "./errors.ts";
import type { LongOpControl } from "./long-ops.ts";
import { plugClipboard, withClipboardUnplugged } from "@guesthouse/qemu/clipboard-port";
import { loadStateFromFd, saveStateToFile } from "./migrate-file.ts";
import { assertAllowed } from "./transitions.ts";
import { abandon, hardStop, launch, prepareLaunch, requireInstance } from "./vm-launch.ts";
import type { VmManager } from "./vm-manager.ts";
import type { VmRecord } from "./vm-record.ts";

const MIGRATION_TIMEOUT_MS = 120_000;
/** The saved state reaches QEMU as its fd 3 (after stdin, stdout, stderr). */
const STATE_FD = 3;

export async function saveVm(m: VmManager, rec: VmRecord, control?: LongOpControl): Promise<{ bytes: number }> {
  assertAllowed("save", rec.id, rec.state);
  const instance = requireInstance(rec);
  const wasRunning = rec.state === "running";
  m.setState(rec, "saving", "host-request");
  let bytes: number;
  try {
    if (wasRunning) await instance.qmp.execute("stop");
    bytes = await withClipboardUnplugged(instance.qmp, rec.spec.clipboard, () =>
      saveStateToFile(instance.qmp, {
        socketPath: m.paths.migrateSocket(rec.id),
        file: m.paths.savedStateFile(rec.id),
        timeoutMs: MIGRATION_TIMEOUT_MS,
        shareSocket: (path) => m.guestFiles.giveSocket(path),
        control,
      }),
    );
  } catch (err) {
    if (instance.alive) {
      if (wasRunning) await instance.qmp.execute("cont").catch(() => undefined);
      m.setState(rec, wasRunning ? "running" : "paused", "host-request");
    }
    throw new EngineError(`saving VM '${rec.id}' failed: ${(err as Error).message}`);
  }
  rec.expectExit = { state: "suspended", reason: "saved" };
  await hardStop(instance);
  return { bytes };
}

export async function restoreVm(m: VmManager, rec: VmRecord): Promise<void> {
  assertAllowed("restore", rec.id, rec.state);
  const resolved = await prepareLaunch(m, rec);
  const file = m.paths.savedStateFile(rec.id);
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    m.setState(rec, "stopped", "external");
    throw new EngineError(`VM '${rec.id}' has lost its saved state file; it is now stopped`);
  }
  await startFromStateFd(m, rec, resolved, fd, {
    state: "suspended",
    message: (why) => `restoring VM '${rec.id}' failed (its saved state is kept): ${why}`,
  });
  m.setState(rec, "running", "restored");
  await rm(file, { force: true });
}

/**
 * Starts QEMU paused on an incoming migration from `fd` (closed here), loads the state, continues.
 * Shared by restore and instant clones. On failure the VM goes back to `onFail.state`.
 */
export async function startFromStateFd(
  m: VmManager,
  rec: VmRecord,
  resolved: Awaited<ReturnType<typeof prepareLaunch>>,
  fd: number,
  onFail: { state: "stopped" | "suspended"; message: (why: string) => string },
  beforeCont?: (instance: QemuInstance) => Promise<void>,
): Promise<void> {
  m.setState(rec, "starting", "restored");
  let instance: QemuInstance | undefined;
  try {
    try {
      instance = await launch(m, rec, resolved, { incoming: "defer", extraFds: [fd] });
    } finally {
      closeSync(fd);
    }
    await loadStateFromFd(instance.qmp, { fd: STATE_FD, timeoutMs: MIGRATION_TIMEOUT_MS });
    // The state was saved without the clipboard port (and QEMU started without it): plug it now.
    if (rec.spec.clipboard) await plugClipboard(instance.qmp);
    await beforeCont?.(instance);
    await instance.qmp.execute("cont");
  } catch (err) {
    rec.expectExit = { state: onFail.state, reason: "start-failed" };
    await abandon(rec, instance ?? rec.instance);
    rec.expectExit = undefined;
    await m.removeRuntimeFiles(rec.id);
    m.setState(rec, onFail.state, "start-failed");
    throw new EngineError(onFail.message((err as Error).message));
  }
}

export async function discardSavedState(m: VmManager, rec: VmRecord): Promise<void> {
  assertAllowed("discardSaved", rec.id, rec.state);
  await rm(m.paths.savedStateFile(rec.id), { force: true });
  m.setState(rec, "stopped", "host-request");
}
