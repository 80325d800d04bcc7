/**
 * Live moves between two host services, each in its own network namespace joined by a veth pair
 * (the integration tests' set-up), against a plain QEMU → QEMU migration on loopback in the same run.
 *
 *   node --import tsx bench/migration.ts            (~3–6 min; BENCH_GUESTS="1 3 6", BENCH_MEMORY_MIB=256, BENCH_CONCURRENCY=2)
 *   BENCH_PART=console node --import tsx bench/migration.ts    (evacuations through the console only; default: "host console")
 *
 * BENCH_PART=console (bench/evacuation-console.ts): the same rounds as maintenance evacuations
 * through the console's API, a source and two targets whose RAM figures force a split, each
 * round one host.evacuate task (its wall time from the task) with a vm.migrate child per guest.
 *
 * Each guest (tiny Linux, BENCH_MEMORY_MIB of RAM, a 16 MiB local qcow2 disk) prints a line on
 * serial every 10 ms. Per guest: the move's total time (mirror start → source released), QEMU's
 * own downtime, and the gap the serial output shows (host clock: last line from the source's QEMU →
 * first line from the target's). Per evacuation: wall time for N guests, BENCH_CONCURRENCY at a time.
 * Anchor: the same guest migrated by two bare QEMUs over loopback TCP, no TLS, no disk.
 * Goals (issue 14): downtime < 100 ms per guest; 6 guests of 256 MB evacuated in < 30 s.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureImages, type ImageManifest } from "@guesthouse/images";
import { QmpClient } from "@guesthouse/qemu/qmp";
import { connectUnix } from "@guesthouse/qemu/unix-connect";
import { VmSpecSchema } from "@guesthouse/shared/vm";
import { pino } from "pino";
import { createHostCaller } from "../apps/host/src/router.ts";
import { HostService } from "../apps/host/src/service.ts";
import { deleteAllTestNetns, makeNetns, vethBetween } from "../apps/host/src/net/test-netns.test-support.ts";
import { throwawayCa, SOURCE_ADDR, TARGET_ADDR } from "../apps/host/src/migration/two-hosts.test-support.ts";
import { accelLabel, benchHostConfig, benchImagesData } from "./host-config.ts";
import { consoleEvacuations } from "./evacuation-console.ts";

const GUESTS = (process.env.BENCH_GUESTS ?? "1 3 6").split(/\s+/).filter(Boolean).map(Number);
const MEMORY_MIB = Number(process.env.BENCH_MEMORY_MIB ?? 256);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2);
const PARTS = (process.env.BENCH_PART ?? "host console").split(/\s+/).filter(Boolean);
const DEADLINE_MS = 20 * 60_000;
const GOAL_DOWNTIME_MS = 100;
const GOAL_SIX_MS = 30_000;
const MiB = 1024 * 1024;
const hardStop = setTimeout(() => {
  console.error("migration: deadline passed, giving up");
  deleteAllTestNetns();
  process.exit(2);
}, DEADLINE_MS);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const max = (xs: number[]) => Math.max(...xs);
const CLOCK = "while :; do echo TICK; usleep 10000; done &";

type Host = { service: HostService; api: ReturnType<typeof createHostCaller>; dir: string };

async function openBenchHost(netns: string): Promise<Host> {
  const dir = await mkdtemp(join(tmpdir(), "gh-bench-mig-"));
  const service = await HostService.open({ ...(await benchHostConfig(dir)), netns }, pino({ level: "silent" }));
  return { service, api: createHostCaller({ service, authenticated: true }), dir };
}

/** Resolves at the first serial output matching `re` after `from`; records each chunk's arrival. */
async function watchSerial(h: Host, id: string, re: RegExp, onChunk?: (at: number) => void, timeoutMs = 180_000): Promise<void> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let text = "";
  try {
    const ring = h.service.vms.get(id).serial.ring;
    // Replay what is buffered: the prompt may have come while another guest was awaited.
    for await (const chunk of h.service.serialStream(id, Math.min(ring.capacity, ring.total), ac.signal)) {
      onChunk?.(performance.now());
      text += chunk.data.toString("latin1");
      if (re.test(text.slice(-4096))) return;
    }
  } finally {
    clearTimeout(timer);
    if (!onChunk) ac.abort();
  }
  if (!onChunk) throw new Error(`serial of '${id}' did not match ${re}`);
}

function spec(images: ImageManifest, id: string) {
  return VmSpecSchema.parse({
    name: id,
    memoryMiB: MEMORY_MIB,
    cdrom: null,
    disks: [{ disk: `${id}-d` }],
    kernel: { kernel: images.tinyLinux.kernel, initrd: images.tinyLinux.initrd, cmdline: images.tinyLinux.cmdline },
  });
}

let portSeq = 40_000;
async function moveOne(src: Host, dst: Host, id: string, tls: ReturnType<typeof throwawayCa>[number]) {
  const listen = { host: TARGET_ADDR, migrationPort: portSeq++, nbdPort: portSeq++ };
  let lastSource = 0;
  let firstTarget = 0;
  const srcWatch = new AbortController();
  void (async () => {
    for await (const _ of src.service.serialStream(id, 0, srcWatch.signal)) lastSource = performance.now();
  })().catch(() => undefined);
  const t0 = performance.now();
  const d = await src.api.migration.describe({ id });
  await dst.api.migration.prepare({ id, spec: d.spec, disks: d.disks, listen, tls: tls.server });
  const tgtWatch = new AbortController();
  void (async () => {
    for await (const _ of dst.service.serialStream(id, 0, tgtWatch.signal)) {
      if (!firstTarget) firstTarget = performance.now();
    }
  })().catch(() => undefined);
  const figures = await src.api.migration.start({ id, target: listen, tls: tls.client });
  const started = performance.now();
  await dst.api.migration.finish({ id });
  const finished = performance.now();
  await src.api.migration.release({ id });
  const total = performance.now() - t0;
  const deadline = performance.now() + 10_000;
  while (!firstTarget && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  srcWatch.abort();
  tgtWatch.abort();
  return {
    id,
    totalMs: total,
    downtimeMs: figures.downtimeMs,
    serialGapMs: firstTarget && lastSource ? firstTarget - lastSource : NaN,
    // Where the gap goes: last source line → start returned (switch-over, mirrors ended) → finish returned → first target line.
    split: [started - lastSource, finished - started, firstTarget - finished].map((x) => x.toFixed(0)).join(" + "),
  };
}

async function pool<T, R>(items: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i] as T);
      }
    }),
  );
  return out;
}

/** The anchor: two bare QEMUs, same guest and RAM, loopback TCP, no TLS, no disk. */
async function plainQemuMigration(images: ImageManifest, binary: string, accel: string): Promise<{ totalMs: number; downtimeMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), "gh-bench-plain-"));
  const port = 47_000 + (process.pid % 1000);
  const common = (name: string) => [
    "-nodefaults",
    "-display",
    "none",
    "-accel",
    accel === "kvm" ? "kvm" : "tcg,tb-size=32",
    "-cpu",
    "qemu64",
    "-m",
    String(MEMORY_MIB),
    "-kernel",
    images.tinyLinux.kernel,
    "-initrd",
    images.tinyLinux.initrd,
    "-append",
    images.tinyLinux.cmdline,
    "-qmp",
    `unix:${join(dir, `${name}.qmp`)},server=on,wait=off`,
    "-chardev",
    `socket,id=s0,path=${join(dir, `${name}.serial`)},server=on,wait=off`,
    "-serial",
    "chardev:s0",
  ];
  const procs = [
    spawn(binary, common("src"), { stdio: "ignore" }),
    spawn(binary, [...common("dst"), "-incoming", `tcp:127.0.0.1:${port}`], { stdio: "ignore" }),
  ];
  try {
    const serial = await connectUnix(join(dir, "src.serial"), { timeoutMs: 10_000 });
    let text = "";
    await new Promise<void>((resolve) =>
      serial.on("data", (b: Buffer) => {
        text += b.toString("latin1");
        if (/tiny# /.test(text)) resolve();
      }),
    );
    serial.write(`${CLOCK}\n`);
    const qmp = await QmpClient.connect(join(dir, "src.qmp"));
    await QmpClient.connect(join(dir, "dst.qmp"));
    await qmp.execute("migrate-set-capabilities", { capabilities: [{ capability: "events", state: true }] });
    const done = qmp.waitEvent("MIGRATION", { timeoutMs: 120_000, match: (e) => ["completed", "failed"].includes(String(e.data.status)) });
    await qmp.execute("migrate", { uri: `tcp:127.0.0.1:${port}` });
    await done;
    let info: { downtime?: number; "total-time"?: number } = {};
    for (let i = 0; i < 50 && !info.downtime; i++) {
      info = await qmp.execute("query-migrate");
      if (!info.downtime) await new Promise((r) => setTimeout(r, 20));
    }
    serial.destroy();
    return { totalMs: info["total-time"] ?? NaN, downtimeMs: info.downtime ?? NaN };
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (PARTS.includes("host")) await hostLevel();
  if (PARTS.includes("console")) await throughTheConsole();
  clearTimeout(hardStop);
}

async function throughTheConsole(): Promise<void> {
  console.log(`evacuations through the console: ${MEMORY_MIB} MiB guests, ${CONCURRENCY} moves at a time, source + 2 targets`);
  for (const r of await consoleEvacuations({ guests: GUESTS, memoryMiB: MEMORY_MIB, concurrency: CONCURRENCY })) {
    const dt = r.downtimesMs;
    const split = Object.entries(r.split)
      .map(([h, n]) => `${n} on ${h}`)
      .join(", ");
    console.log(
      `console, ${r.guests} guest(s): evacuated in ${(r.wallMs / 1000).toFixed(1)} s (${split}); QEMU downtime median ${median(dt)} ms, max ${max(dt)} ms ` +
        `(${(max(dt) / GOAL_DOWNTIME_MS).toFixed(2)}× the ${GOAL_DOWNTIME_MS} ms goal: ${max(dt) < GOAL_DOWNTIME_MS ? "MET" : "MISSED"})`,
    );
    if (r.guests === 6)
      console.log(
        `console, 6 guests in ${(r.wallMs / 1000).toFixed(1)} s: ${(r.wallMs / GOAL_SIX_MS).toFixed(2)}× the 30 s goal (${r.wallMs < GOAL_SIX_MS ? "MET" : "MISSED"})`,
      );
  }
}

async function hostLevel(): Promise<void> {
  const images = await ensureImages({ dataDir: benchImagesData });
  const srcNs = makeNetns("bsrc");
  const dstNs = makeNetns("bdst");
  vethBetween({ ns: srcNs, ifname: "mig0", cidr: `${SOURCE_ADDR}/24` }, { ns: dstNs, ifname: "mig0", cidr: `${TARGET_ADDR}/24` });
  const hosts = [await openBenchHost(srcNs), await openBenchHost(dstNs)] as [Host, Host];
  const [toB] = throwawayCa([{ server: TARGET_ADDR, client: SOURCE_ADDR }]) as [ReturnType<typeof throwawayCa>[number]];
  const label = accelLabel(hosts[0].service.config);
  console.log(`migration bench: ${label}, ${MEMORY_MIB} MiB guests, ${CONCURRENCY} moves at a time, veth between namespaces`);
  try {
    const anchor = await plainQemuMigration(images, hosts[0].service.config.qemuBinary, hosts[0].service.config.accel.accel);
    console.log(`anchor, plain QEMU → QEMU on loopback: total ${anchor.totalMs.toFixed(0)} ms, downtime ${anchor.downtimeMs} ms`);
    let round = 0;
    for (const n of GUESTS) {
      const ids = Array.from({ length: n }, (_, i) => `b${round}-${i}`);
      const [src, dst, tls] = [hosts[0], hosts[1], toB];
      round++;
      for (const id of ids) {
        await src.api.disk.create({ id: `${id}-d`, sizeBytes: 16 * MiB });
        await src.api.vm.define({ id, spec: spec(images, id) });
        await src.api.vm.start({ id });
      }
      for (const id of ids) await watchSerial(src, id, /tiny# /);
      for (const id of ids) await src.service.serialWrite(id, Buffer.from(`${CLOCK}\n`));
      const t0 = performance.now();
      const rows = await pool(ids, CONCURRENCY, (id) => moveOne(src, dst, id, tls));
      const wall = performance.now() - t0;
      for (const r of rows) {
        console.log(
          `  ${r.id}: total ${r.totalMs.toFixed(0)} ms (${(r.totalMs / anchor.totalMs).toFixed(1)}× anchor), downtime ${r.downtimeMs} ms ` +
            `(${(r.downtimeMs / GOAL_DOWNTIME_MS).toFixed(2)}× goal, ${(r.downtimeMs / anchor.downtimeMs).toFixed(1)}× anchor), serial gap ${r.serialGapMs.toFixed(0)} ms (${r.split})`,
        );
      }
      const dt = rows.map((r) => r.downtimeMs);
      const gaps = rows.map((r) => r.serialGapMs);
      const verdict = max(dt) < GOAL_DOWNTIME_MS ? "MET" : "MISSED";
      console.log(
        `${n} guest(s): evacuated in ${(wall / 1000).toFixed(1)} s; downtime median ${median(dt)} ms, max ${max(dt)} ms (< ${GOAL_DOWNTIME_MS} ms: ${verdict}); serial gap median ${median(gaps).toFixed(0)} ms, max ${max(gaps).toFixed(0)} ms`,
      );
      if (n === 6)
        console.log(
          `6 guests in ${(wall / 1000).toFixed(1)} s: ${(wall / GOAL_SIX_MS).toFixed(2)}× the 30 s goal (${wall < GOAL_SIX_MS ? "MET" : "MISSED"})`,
        );
      for (const id of ids) {
        await dst.api.vm.powerOff({ id });
        await dst.api.vm.delete({ id, deleteDisks: true });
      }
    }
  } finally {
    for (const h of hosts) {
      for (const rec of h.service.vms.records.values()) rec.instance?.kill("SIGKILL");
      await h.service.close();
      await rm(h.dir, { recursive: true, force: true });
    }
    deleteAllTestNetns();
  }
}

main().catch((err: Error) => {
  console.error(err);
  deleteAllTestNetns();
  process.exit(1);
});
