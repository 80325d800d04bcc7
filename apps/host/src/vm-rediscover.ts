/**
 * On service start: rebuild every VM from its folder, reattach to QEMUs that are still alive,
 * and settle the state of those that died while nobody watched.
 */
import { readFile } from "node:fs/promises";
import { QemuInstance } from "@guesthouse/qemu/instance";
import { isQemuAlive, LOG_START_MARK, readPidfile } from "@guesthouse/qemu/process";
import type { VmReason } from "@guesthouse/shared/vm";
import type { VmManager } from "./vm-manager.ts";
import { stateFromRunState, type VmRecord } from "./vm-record.ts";
import type { StoredVm } from "./vm-store.ts";
import { exists } from "./path-exists.ts";
import { abandon } from "./vm-launch.ts";

const LIVE_STATES = ["starting", "running", "paused", "saving", "stopping"];

export async function rediscover(m: VmManager): Promise<void> {
  const stored = await m.store.loadAll((id, why) => m.log.warn({ folder: id }, `skipping VM folder: ${why}`));
  await Promise.all(stored.map((vm) => rediscoverOne(m, vm)));
}

async function rediscoverOne(m: VmManager, vm: StoredVm): Promise<void> {
  const persisted = vm.state ?? { state: "stopped", reason: "defined", since: Date.now() };
  const rec = m.newRecord(vm.id, vm.spec, persisted.state, persisted.reason, persisted.since, persisted.version ?? 0);
  const rt = m.paths.runtime(vm.id);
  const pid = await readPidfile(rt.pidfile);
  if (pid !== undefined && (await isQemuAlive(pid, rt.pidfile))) {
    try {
      await reattach(m, rec, pid);
      return;
    } catch (err) {
      // Never report it stopped: a start would run a second QEMU on the same disks and sockets.
      m.log.error({ vmId: vm.id, pid, err: (err as Error).message }, "QEMU is alive but could not be reattached");
      const state = LIVE_STATES.includes(persisted.state) ? persisted.state : "running";
      m.setState(rec, state, "external");
      return;
    }
  }
  const saved = await exists(m.paths.savedStateFile(vm.id));
  if (LIVE_STATES.includes(persisted.state)) {
    // It was running when we last looked and its QEMU is gone now.
    const reason = saved && persisted.state === "saving" ? "saved" : await reasonForDeathWhileAway(rt.pidfile, rt.log);
    m.setState(rec, saved ? "suspended" : "stopped", reason);
  } else if (persisted.state === "suspended" && !saved) {
    m.setState(rec, "stopped", "external");
  }
  await m.removeRuntimeFiles(vm.id);
}

async function reattach(m: VmManager, rec: VmRecord, pid: number): Promise<void> {
  const instance = await QemuInstance.attach({ pid, paths: m.paths.runtime(rec.id) });
  m.wire(rec, instance);
  await rec.serial
    .attach(instance.paths.serial)
    .catch((err: Error) => m.log.warn({ vmId: rec.id, err: err.message }, "serial console not reattached"));
  const status = await instance.qmp.execute<{ status: string }>("query-status");
  if (status.status === "prelaunch") {
    // A start cut short (the service died between launching QEMU with -S and `cont`): the guest
    // never ran an instruction. Undo it, as a failed start is undone, rather than show it paused.
    rec.expectExit = { state: "stopped", reason: "start-failed" };
    await abandon(rec, instance);
    rec.expectExit = undefined;
    await m.removeRuntimeFiles(rec.id);
    m.setState(rec, "stopped", "start-failed", { force: true });
    m.log.warn({ vmId: rec.id, pid }, "undid a start the service had not finished (QEMU was never told to run)");
    return;
  }
  m.setState(rec, stateFromRunState(status.status), "reattached", { force: true });
  m.log.info({ vmId: rec.id, pid, status: status.status }, "reattached to running QEMU");
}

/**
 * QEMU deletes its pidfile when it exits cleanly, so a pidfile left behind means it was killed
 * or crashed. A clean exit after SIGTERM is logged by QEMU ("terminating on signal").
 */
async function reasonForDeathWhileAway(pidfile: string, log: string): Promise<VmReason> {
  if (await exists(pidfile)) return "crashed";
  const text = await readFile(log, "utf8").catch(() => "");
  const lastRun = text.slice(Math.max(0, text.lastIndexOf(LOG_START_MARK)));
  return /terminating on signal/.test(lastRun) ? "killed" : "guest-shutdown";
}
