import { createHash } from "node:crypto";
import { chmod, copyFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { download, kernelPackage } from "./apt.ts";
import { cpioNewcGz, type CpioEntry } from "./cpio.ts";
import * as files from "./guest-files.ts";
import { resolveModules } from "./kmod.ts";
import { run } from "./run.ts";
import { agentSource, buildAgent } from "./guest-agent.ts";

export const TINY_KERNEL_FILE = "vmlinuz";
export const TINY_INITRD_FILE = "initramfs.cpio.gz";
// nokaslr: with 128 MB the decompressor finds no KASLR slot and prints two warnings on the VGA screen.
export const TINY_CMDLINE = "console=tty0 console=ttyS0 loglevel=3 nokaslr";

/** virtio disks, the ACPI power button (button → input event → evdev → acpid), virtio ports for the clipboard agent, NICs. */
const MODULES = ["virtio_pci", "virtio_blk", "button", "evdev", "virtio_console", "virtio_net", "e1000", "8139too", "af_packet"];

/**
 * Names this recipe's output, so a changed init script or module list yields a new folder instead of
 * silently reusing an old build. Bump REVISION when changing build code that the hash cannot see.
 */
export function tinyRecipeId(): string {
  const REVISION = 1;
  const texts = [
    files.initScript(),
    files.inittab(),
    files.profile(),
    files.powerButtonHandler(),
    files.udhcpcScript(),
    files.netWatcher(),
    files.passwd,
    files.group,
    agentSource(),
  ];
  const recipe = JSON.stringify({ REVISION, texts, MODULES });
  return createHash("sha256").update(recipe).digest("hex").slice(0, 10);
}

const DIRS = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "root", "etc", "etc/acpi"];
const MORE_DIRS = ["etc/acpi/PWRF", "lib", "lib/modules", "var", "var/log", "mnt", "run"];

async function extractDebs(scratch: string): Promise<string> {
  const root = join(scratch, "root");
  for (const deb of await readdir(scratch)) {
    if (deb.endsWith(".deb")) await run("dpkg", ["-x", join(scratch, deb), root]);
  }
  return root;
}

async function onlyMatch(dir: string, pattern: RegExp, what: string): Promise<string> {
  const hits = (await readdir(dir)).filter((n) => pattern.test(n));
  if (hits.length !== 1 || hits[0] === undefined) throw new Error(`expected one ${what} in ${dir}, found ${hits.length}`);
  return join(dir, hits[0]);
}

/** Every busybox applet as a symlink, so the guest needs no `busybox --install` at boot. */
async function appletLinks(busybox: string): Promise<CpioEntry[]> {
  const list = await run(busybox, ["--list-full"]);
  return list
    .split("\n")
    .map((p) => p.trim())
    .filter((p) => p !== "" && p !== "bin/busybox")
    .map((path) => ({ kind: "symlink" as const, path, target: "/bin/busybox" }));
}

async function rootfsEntries(root: string, agent: Buffer): Promise<CpioEntry[]> {
  const busyboxPath = join(root, "bin", "busybox");
  const modulesDir = await onlyMatch(join(root, "lib", "modules"), /./, "kernel module tree");
  const modules = await resolveModules(modulesDir, MODULES);
  const text = (path: string, body: string, mode = 0o644): CpioEntry => ({ kind: "file", path, data: Buffer.from(body), mode });
  return [
    ...[...DIRS, ...MORE_DIRS].map((path): CpioEntry => ({ kind: "dir", path, mode: path === "tmp" ? 0o1777 : 0o755 })),
    { kind: "chardev", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "bin/busybox", data: await readFile(busyboxPath), mode: 0o755 },
    { kind: "file", path: "sbin/ghclip", data: agent, mode: 0o755 },
    ...(await appletLinks(busyboxPath)),
    text("init", files.initScript(), 0o755),
    text("etc/inittab", files.inittab()),
    text("etc/profile", files.profile()),
    text("etc/passwd", files.passwd),
    text("etc/group", files.group),
    text("etc/acpi/PWRF/00000080", files.powerButtonHandler(), 0o755),
    text("etc/udhcpc.script", files.udhcpcScript(), 0o755),
    text("sbin/ghnet", files.netWatcher(), 0o755),
    text("etc/modules", modules.map((m) => m.name + "\n").join("")),
    ...modules.map((m): CpioEntry => ({ kind: "file", path: `lib/modules/${m.name}.ko`, data: m.data })),
  ];
}

/**
 * Builds vmlinuz + initramfs.cpio.gz into `outDir` from Debian's kernel and busybox-static packages,
 * unpacking in `scratch` (~400 MB, removed afterwards). Returns the kernel package name, for the log.
 */
export async function buildTinyLinux(outDir: string, scratch: string, log: (line: string) => void): Promise<string> {
  await mkdir(scratch, { recursive: true });
  try {
    // apt-get download runs as the _apt user and warns unless it can read this folder.
    await chmod(scratch, 0o755);
    const kernelPkg = await kernelPackage();
    log(`tiny-linux: downloading ${kernelPkg} busybox-static`);
    await download([kernelPkg, "busybox-static"], scratch);
    log("tiny-linux: unpacking");
    const root = await extractDebs(scratch);
    await copyFile(await onlyMatch(join(root, "boot"), /^vmlinuz-/, "vmlinuz"), join(outDir, TINY_KERNEL_FILE));
    log("tiny-linux: compiling the clipboard agent");
    const entries = await rootfsEntries(root, await buildAgent(scratch));
    await writeFile(join(outDir, TINY_INITRD_FILE), cpioNewcGz(entries));
    log(`tiny-linux: initramfs written (${entries.length} entries)`);
    return kernelPkg;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
