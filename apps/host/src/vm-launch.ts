/** Bringing a QEMU up for a VM and taking it down hard; shared by start, restore and power-off. */
import { buildArgv } from "@guesthouse/qemu/argv";
import { nicDeviceId } from "@guesthouse/qemu/argv-nics";
import { QemuInstance } from "@guesthouse/qemu/instance";
import { commandFor } from "@guesthouse/qemu/process";
import { EngineError, InvalidStateError } from "./errors.ts";
import { launchDiskPaths } from "./undo-disks.ts";
import type { VmManager } from "./vm-manager.ts";
import type { VmRecord } from "./vm-record.ts";
import { checkRamFits, resolveSpec } from "./vm-spec-check.ts";

export interface LaunchOptions {
  incoming?: "defer";
  extraFds?: number[];
  /** false: without the clipboard port, to load a state saved without it (clipboard-port.ts). */
  clipboardPlugged?: boolean;
}

/** Checks files, RAM and disk use for a start; returns what the argv builder needs. */
export async function prepareLaunch(m: VmManager, rec: VmRecord) {
  const resolved = await resolveSpec(m.config, m.paths, rec.id, rec.spec);
  for (const other of m.records.values()) {
    if (other === rec || !other.instance) continue;
    const shared = rec.spec.disks.find((d) => other.spec.disks.some((o) => o.disk === d.disk && !(o.readOnly && d.readOnly)));
    if (shared) throw new InvalidStateError(`disk '${shared.disk}' is in use by running VM '${other.id}'`);
  }
  await checkRamFits(rec.id, rec.spec.memoryMiB, m.committedMiB(rec.id));
  return resolved;
}

/** Spawns QEMU with its CPUs stopped (-S), attaches QMP and the serial console. */
export async function launch(
  m: VmManager,
  rec: VmRecord,
  resolved: Awaited<ReturnType<typeof prepareLaunch>>,
  opts: LaunchOptions = {},
): Promise<QemuInstance> {
  await m.removeRuntimeFiles(rec.id);
  const diskPaths = await launchDiskPaths(m.config.qemuImgBinary, resolved.spec, resolved.diskPaths);
  const readOnly = (i: number) => resolved.spec.disks[i]?.readOnly === true;
  const { cdrom, kernel } = resolved.spec;
  await m.guestFiles.prepareStart({
    vmDir: m.paths.vmDir(rec.id),
    writableDisks: diskPaths.filter((_, i) => !readOnly(i)),
    readOnlyFiles: [...diskPaths.filter((_, i) => readOnly(i)), cdrom?.iso, kernel?.kernel, kernel?.initrd].filter((f): f is string => !!f),
  });
  const runAs = m.guestFiles.user.runAs;
  const taps = await m.networks.tapsFor(rec.id, resolved.spec.nics, runAs);
  const argv = buildArgv({
    id: rec.id,
    spec: resolved.spec,
    stateDir: m.paths.vmDir(rec.id),
    diskPaths,
    accel: m.config.accel.accel,
    cpu: resolved.cpu,
    tcgTbSizeMiB: m.config.tcgTbSizeMiB,
    startPaused: true,
    incoming: opts.incoming,
    clipboardPlugged: opts.clipboardPlugged,
    taps,
  });
  m.log.debug({ vmId: rec.id, argv }, "launching qemu");
  // As its own user through setpriv (ADR 0025), and in a named namespace through `ip netns exec`
  // around that (it needs the privileges setpriv drops). Both exec: the pid stays QEMU's.
  const asUser = commandFor(m.config.qemuBinary, argv, runAs);
  const [binary, ...rest] = m.networks.runner.wrap([asUser.file, ...asUser.args]) as [string, ...string[]];
  const instance = await QemuInstance.launch({ binary, argv: rest, paths: m.paths.runtime(rec.id), extraFds: opts.extraFds });
  m.wire(rec, instance);
  m.log.info({ vmId: rec.id, pid: instance.pid, user: m.guestFiles.user.name }, "qemu started");
  for (const nic of resolved.spec.nics) {
    if (!nic.linkUp) await instance.qmp.execute("set_link", { name: nicDeviceId(nic.slot), up: false });
  }
  m.log.info({ vmId: rec.id, pid: instance.pid }, "qemu started");
  await rec.serial.attach(instance.paths.serial);
  return instance;
}

export function requireInstance(rec: VmRecord): QemuInstance {
  if (!rec.instance) {
    throw new EngineError(`VM '${rec.id}' has no QEMU process attached; its QEMU could not be reattached (see the service log)`);
  }
  return rec.instance;
}

/** quit over QMP, then SIGKILL if QEMU does not go within a few seconds. Resolves once it is gone. */
export async function hardStop(instance: QemuInstance): Promise<void> {
  if (!instance.alive) return;
  await Promise.race([instance.qmp.execute("quit", undefined, { timeoutMs: 2000 }).catch(() => undefined), instance.exited]);
  if (await settlesWithin(instance.exited, 3000)) return;
  instance.kill("SIGKILL");
  await instance.exited;
}

export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** After a failed start: make sure no QEMU is left behind. */
export async function abandon(rec: VmRecord, instance: QemuInstance | undefined): Promise<void> {
  if (!instance) return;
  instance.kill("SIGKILL");
  await settlesWithin(instance.exited, 5000);
  if (rec.instance === instance) rec.instance = undefined;
}
