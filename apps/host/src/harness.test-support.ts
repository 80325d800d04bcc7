/** Shared by the host's integration tests: a host service on a temp data folder, guests, serial helpers. */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureImages, imagesDir, type ImageManifest } from "@guesthouse/images";
import { probeAccelerator } from "@guesthouse/qemu/accel";
import { AccelInfoSchema, type AccelInfo } from "@guesthouse/shared/cpu-models";
import { VmSpecSchema, type VmSpec, type VmSpecInput } from "@guesthouse/shared/vm";
import { pino } from "pino";
import type { HostConfig } from "./config.ts";
import { readEngineEnv } from "./env.ts";
import { createHostCaller } from "./router.ts";
import { HostService } from "./service.ts";

const REPO = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
/**
 * Guest images are built once and shared, read-only, by every test: in the data folder the test
 * runner names (`npm test` sets GUESTHOUSE_DATA), else the repo's default one. VM state never goes
 * there; each test has its own temp data folder.
 */
export const IMAGES_DATA_DIR = process.env.GUESTHOUSE_DATA ?? join(REPO, ".data");

let images: Promise<ImageManifest> | undefined;
export function testImages(): Promise<ImageManifest> {
  images ??= ensureImages({ dataDir: IMAGES_DATA_DIR });
  return images;
}

/** The same engine as the product: QEMU_BINARY, QEMU_IMG_BINARY and GUESTHOUSE_ACCEL, and the probe. */
const engine = readEngineEnv();
let accel: Promise<AccelInfo> | undefined;
/**
 * The probe's answer, shared by the test files of one boot (each file is its own process, and the
 * KVM speed check takes a second or two): kept in the temp folder, keyed by boot, binary and mode.
 */
export function testAccel(): Promise<AccelInfo> {
  accel ??= (async () => {
    const bootId = (await readFile("/proc/sys/kernel/random/boot_id", "utf8").catch(() => "")).trim();
    const key = createHash("sha1").update(`${bootId}|${engine.qemuBinary}|${engine.accelMode}`).digest("hex").slice(0, 12);
    const file = join(tmpdir(), `guesthouse-accel-${key}.json`);
    const cached = await readFile(file, "utf8").then(
      (t) => AccelInfoSchema.safeParse(JSON.parse(t)),
      () => undefined,
    );
    if (cached?.success) return cached.data;
    const info = await probeAccelerator({ binary: engine.qemuBinary, mode: engine.accelMode });
    await writeFile(file, JSON.stringify(info));
    return info;
  })();
  return accel;
}

export async function testConfig(dataDir: string): Promise<HostConfig> {
  return {
    dataDir,
    mediaDirs: [imagesDir(IMAGES_DATA_DIR)],
    qemuBinary: engine.qemuBinary,
    qemuImgBinary: engine.qemuImgBinary,
    accel: await testAccel(),
    tcgTbSizeMiB: 32,
    serialBufferBytes: 256 * 1024,
    mediaMaxBytes: 1024 ** 3,
  };
}

export type HostCaller = ReturnType<typeof createHostCaller>;

export interface TestHost {
  dataDir: string;
  service: HostService;
  api: HostCaller;
  /** Stops watching without stopping guests (like a service restart). */
  detach(): Promise<void>;
}

const openServices = new Set<HostService>();
// Guests are detached on purpose; a test that dies half-way must still not leave them running.
process.once("exit", () => {
  for (const service of openServices) {
    for (const rec of service.vms.records.values()) rec.instance?.kill("SIGKILL");
  }
});

/**
 * `netns`: realise networks there (a namespace the test made: see net/test-netns.test-support.ts).
 * `accel`: what this host's probe is to have found instead (a machine that runs other CPU models).
 */
export async function openHost(dataDir: string, opts: { netns?: string; accel?: AccelInfo } = {}): Promise<TestHost> {
  const config = await testConfig(dataDir);
  const service = await HostService.open({ ...config, accel: opts.accel ?? config.accel, netns: opts.netns }, pino({ level: "silent" }));
  openServices.add(service);
  const api = createHostCaller({ service, authenticated: true });
  return { dataDir, service, api, detach: () => service.close() };
}

export async function tempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "gh-host-"));
}

/** Kills every guest the service knows of, then removes the data folder. */
export async function destroyHost(host: TestHost): Promise<void> {
  const pids = [...host.service.vms.records.values()].flatMap((r) => (r.instance ? [r.instance] : []));
  for (const instance of pids) instance.kill("SIGKILL");
  await Promise.all(pids.map((i) => i.exited));
  await host.service.close();
  await rm(host.dataDir, { recursive: true, force: true });
}

/** The tiny Linux appliance, small enough for TCG: direct kernel boot, 128 MiB, no NIC. */
export function tinySpec(m: ImageManifest, name: string, extra: Partial<VmSpecInput> = {}): VmSpec {
  return VmSpecSchema.parse({
    name,
    memoryMiB: 128,
    cdrom: null,
    kernel: { kernel: m.tinyLinux.kernel, initrd: m.tinyLinux.initrd, cmdline: `${m.tinyLinux.cmdline} gh.hostname=${name}` },
    ...extra,
  });
}

/** Resolves when the VM's serial output (from `fromOffset` on) matches `pattern`. */
export async function waitSerial(
  service: HostService,
  vmId: string,
  pattern: RegExp,
  opts: { fromOffset?: number; timeoutMs?: number } = {},
): Promise<string> {
  const ac = new AbortController();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const ring = service.vms.get(vmId).serial.ring;
  const from = opts.fromOffset ?? 0;
  let text = "";
  let seenUpTo = from;
  try {
    for await (const chunk of service.serialStream(vmId, Math.min(ring.capacity, ring.total - from), ac.signal)) {
      const skip = Math.max(0, seenUpTo - chunk.offset);
      text += chunk.data.subarray(skip).toString("latin1");
      seenUpTo = Math.max(seenUpTo, chunk.offset + chunk.data.length);
      if (pattern.test(text)) return text;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  throw new Error(`serial of '${vmId}' did not match ${pattern} within ${timeoutMs} ms; got: ${JSON.stringify(text.slice(-300))}`);
}

export const PROMPT = /tiny# /;

/** Types a command on the serial console and waits for `expect` on a fresh line of its output. */
export async function serialRun(service: HostService, vmId: string, command: string, expect: RegExp): Promise<string> {
  const from = service.vms.get(vmId).serial.ring.total;
  await service.serialWrite(vmId, Buffer.from(`${command}\n`));
  return waitSerial(service, vmId, expect, { fromOffset: from, timeoutMs: 30_000 });
}

/** Whether a process (a QEMU, say) still exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
