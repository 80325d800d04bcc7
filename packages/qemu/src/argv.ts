/** Typed VM spec → qemu-system-x86_64 argv (an array; never a shell string). */
import type { VmSpec } from "@guesthouse/shared/vm";
import type { Accel } from "./accel.ts";
import { PROFILES } from "./argv-devices.ts";
import { ArgvError } from "./argv-error.ts";
import { nicArgs, nicPortArgs } from "./argv-nics.ts";
import { runtimePaths } from "./runtime-paths.ts";
import { clipboardArgv } from "./clipboard-port.ts";

export const CDROM_DEVICE_ID = "cdrom0";
export const CDROM_NODE = "cdrom-media";

export { ArgvError };

export interface ArgvInput {
  /** VM id; shows in `ps` and becomes QEMU's guest name. */
  id: string;
  spec: VmSpec;
  /** Folder holding the sockets, pidfile and log. */
  stateDir: string;
  /** Absolute image paths of `spec.disks`, in the same order. */
  diskPaths: readonly string[];
  accel: Accel;
  /** The `-cpu` value, as the accelerator probe found it works here (see accel.ts cpuArgFor). */
  cpu: string;
  /** TCG translation cache size; smaller saves RSS for small guests. */
  tcgTbSizeMiB?: number;
  /** Start with the CPUs stopped (`-S`) so the caller attaches before the guest runs. */
  startPaused?: boolean;
  /** Tap interface per NIC slot attached to a network (the host made them; see apps/host/src/net). */
  taps?: Readonly<Record<number, string>>;
  /** `defer`: wait for a `migrate-incoming` over QMP (used to restore a saved state). */
  incoming?: "defer";
  /**
   * With `spec.clipboard`: false starts without the clipboard port, to load a state saved
   * without it (clipboard-port.ts); it is plugged after. Always false with `incoming`.
   */
  clipboardPlugged?: boolean;
}

export function buildArgv(input: ArgvInput): string[] {
  const { spec, accel } = input;
  const paths = runtimePaths(input.stateDir);
  const profile = PROFILES[spec.profile];
  if (input.diskPaths.length !== spec.disks.length) {
    throw new ArgvError(`expected ${spec.disks.length} disk paths, got ${input.diskPaths.length}`);
  }
  if (spec.disks.length > profile.maxDisks(spec.cdrom !== null)) {
    throw new ArgvError(
      `the ${spec.profile} profile takes at most ${profile.maxDisks(spec.cdrom !== null)} disks` +
        (spec.cdrom !== null ? " with a CD-ROM drive" : ""),
    );
  }
  for (const p of [input.stateDir, ...input.diskPaths]) {
    if (p.includes(",")) throw new ArgvError(`path '${p}' must not contain ','`);
  }

  const tcg = `tcg${input.tcgTbSizeMiB ? `,tb-size=${input.tcgTbSizeMiB}` : ""}`;
  const options: [flag: string, value: string][] = [
    ["-name", `guest=${input.id},process=gh-${input.id}`],
    ["-machine", profile.machine],
    ["-accel", accel === "kvm" ? "kvm" : tcg],
    ["-cpu", input.cpu],
    ["-smp", String(spec.cpus)],
    ["-m", String(spec.memoryMiB)],
    // No exec: migration or helpers are ever used, so QEMU may also not spawn, setuid or renice.
    ["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"],
    ["-display", "none"],
    ["-vnc", `unix:${paths.vnc}`],
    ["-qmp", `unix:${paths.qmp},server=on,wait=off`],
    ["-chardev", `socket,id=ser0,path=${paths.serial},server=on,wait=off`],
    ["-serial", "chardev:ser0"],
    ["-pidfile", paths.pidfile],
    ["-msg", "timestamp=on"],
    ["-device", profile.vga],
  ];
  const argv: string[] = ["-no-user-config", "-nodefaults", ...options.flat()];

  const bootIndex = bootIndexes(spec);
  spec.disks.forEach((disk, i) => {
    const path = input.diskPaths[i] as string;
    const readOnly = disk.readOnly;
    argv.push("-blockdev", JSON.stringify({ driver: "file", filename: path, "node-name": `f${i}`, "read-only": readOnly }));
    argv.push(
      "-blockdev",
      JSON.stringify({ driver: "qcow2", file: `f${i}`, "node-name": `disk${i}`, "read-only": readOnly, discard: "unmap" }),
    );
    argv.push("-device", withBootIndex(profile.disk(i, `disk${i}`, spec.cdrom !== null), i === 0 ? bootIndex.disk : undefined));
  });

  if (spec.cdrom !== null) {
    let device = `ide-cd,id=${CDROM_DEVICE_ID},${profile.cdromBus}`;
    if (spec.cdrom.iso) {
      argv.push("-blockdev", JSON.stringify({ driver: "file", filename: spec.cdrom.iso, "node-name": "cdrom-file", "read-only": true }));
      argv.push("-blockdev", JSON.stringify({ driver: "raw", file: "cdrom-file", "node-name": CDROM_NODE, "read-only": true }));
      device += `,drive=${CDROM_NODE}`;
    }
    argv.push("-device", withBootIndex(device, bootIndex.cdrom));
  }

  argv.push(...nicPortArgs(spec));
  if (spec.nics.length > 0) {
    if (spec.network !== "none") throw new ArgvError("a VM spec names either 'network' or 'nics', not both");
    argv.push(...nicArgs(spec, input.taps ?? {}, bootIndex.network));
  } else if (spec.network === "user") {
    argv.push("-netdev", "user,id=net0");
    argv.push("-device", withBootIndex(`${profile.nic},netdev=net0,id=nic0`, bootIndex.network));
  } else {
    argv.push("-nic", "none");
  }

  if (spec.kernel) {
    argv.push("-kernel", spec.kernel.kernel);
    if (spec.kernel.initrd) argv.push("-initrd", spec.kernel.initrd);
    if (spec.kernel.cmdline) argv.push("-append", spec.kernel.cmdline);
  }
  if (spec.clipboard) argv.push(...clipboardArgv(input.clipboardPlugged !== false && !input.incoming));
  if (input.startPaused) argv.push("-S");
  if (input.incoming) argv.push("-incoming", input.incoming);
  return argv;
}

function bootIndexes(spec: VmSpec): Partial<Record<"disk" | "cdrom" | "network", number>> {
  const out: Partial<Record<"disk" | "cdrom" | "network", number>> = {};
  let next = 1;
  for (const dev of spec.boot) {
    if (out[dev] !== undefined) continue;
    const present =
      dev === "disk" ? spec.disks.length > 0 : dev === "cdrom" ? spec.cdrom !== null : spec.network !== "none" || spec.nics.length > 0;
    if (present) out[dev] = next++;
  }
  return out;
}

function withBootIndex(device: string, index: number | undefined): string {
  return index === undefined ? device : `${device},bootindex=${index}`;
}
