/** Start, shutdown, power-off, reset, pause and resume. Each runs inside the VM's queue. */
import type { QemuInstance } from "@guesthouse/qemu/instance";
import { crashPoint } from "@guesthouse/shared/crash-point";
import { EngineError } from "./errors.ts";
import { assertAllowed } from "./transitions.ts";
import { abandon, hardStop, launch, prepareLaunch, requireInstance, settlesWithin } from "./vm-launch.ts";
import type { VmManager } from "./vm-manager.ts";
import type { VmRecord } from "./vm-record.ts";

export async function startVm(m: VmManager, rec: VmRecord): Promise<void> {
  assertAllowed("start", rec.id, rec.state);
  const resolved = await prepareLaunch(m, rec);
  m.setState(rec, "starting", "host-request");
  let instance: QemuInstance | undefined;
  try {
    instance = await launch(m, rec, resolved);
    crashPoint("vm.start:launched"); // QEMU is up with its CPUs stopped (-S), not yet told to run
    await instance.qmp.execute("cont");
    m.setState(rec, "running", "host-request");
  } catch (err) {
    rec.expectExit = { state: "stopped", reason: "start-failed" };
    await abandon(rec, instance ?? rec.instance);
    rec.expectExit = undefined;
    await m.removeRuntimeFiles(rec.id);
    m.setState(rec, "stopped", "start-failed");
    throw new EngineError(`VM '${rec.id}' failed to start: ${(err as Error).message}`);
  }
}

/** ACPI power button; if the guest is still up after `timeoutMs`, power it off. */
export async function shutdownVm(m: VmManager, rec: VmRecord, timeoutMs: number): Promise<void> {
  assertAllowed("shutdown", rec.id, rec.state);
  const instance = requireInstance(rec);
  rec.expectExit = { state: "stopped", reason: "host-request" };
  m.setState(rec, "stopping", "host-request");
  try {
    await instance.qmp.execute("system_powerdown");
  } catch (err) {
    if (!instance.alive) return;
    throw err;
  }
  if (await settlesWithin(instance.exited, timeoutMs)) return;
  m.log.warn({ vmId: rec.id, timeoutMs }, "guest ignored the ACPI shutdown request; powering off");
  rec.expectExit = { state: "stopped", reason: "powered-off" };
  await hardStop(instance);
}

export async function powerOffVm(m: VmManager, rec: VmRecord): Promise<void> {
  assertAllowed("powerOff", rec.id, rec.state);
  const instance = requireInstance(rec);
  rec.expectExit = { state: "stopped", reason: "powered-off" };
  await hardStop(instance);
}

export async function resetVm(m: VmManager, rec: VmRecord): Promise<void> {
  assertAllowed("reset", rec.id, rec.state);
  const qmp = requireInstance(rec).qmp;
  // The RESET event (published by the manager) confirms the reset happened.
  await Promise.all([qmp.waitEvent("RESET", { timeoutMs: 10_000 }), qmp.execute("system_reset")]);
}

export async function pauseVm(m: VmManager, rec: VmRecord): Promise<void> {
  assertAllowed("pause", rec.id, rec.state);
  await requireInstance(rec).qmp.execute("stop");
  m.setState(rec, "paused", "host-request");
}

export async function resumeVm(m: VmManager, rec: VmRecord): Promise<void> {
  assertAllowed("resume", rec.id, rec.state);
  await requireInstance(rec).qmp.execute("cont");
  m.setState(rec, "running", "host-request");
}
