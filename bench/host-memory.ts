/**
 * Host-service memory per running guest: the service's RSS with 0, 1, 5 and 10 tiny guests.
 *
 *   node --import tsx bench/host-memory.ts          (~1–2 min on 2 TCG cores, stops itself)
 *
 * The service runs as its own process (apps/host/src/main.ts, as in production) on a temp data
 * folder; this script drives it over HTTP and reads /proc/<pid>/status. Each guest is tiny Linux
 * with -m 96 (its Debian kernel panics below ~80 MiB), booted to its shell prompt (seen through serial.read) before measuring.
 * Anchors: the service's own RSS with no guest, and QEMU's own RSS per guest.
 * Goal (docs/design.md): < 15 MB of service RSS per running guest on top of QEMU's own.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { ensureImages, imagesDir } from "@guesthouse/images";
import { createHostClient } from "@guesthouse/host-client";

const COUNTS = [1, 5, 10];
const DEADLINE_MS = 300_000;
const TOKEN = "bench-token-0123456789";
const MB = 1024 * 1024;
const GOAL_MB = 15;
/** Bench-only preload: lets this script ask the service for a full GC, so garbage does not count as memory in use. */
const GC_ON_SIGNAL = `data:text/javascript,process.on("SIGUSR2",()=>globalThis.gc())`;

const hardStop = setTimeout(() => {
  console.error("host-memory: deadline passed, giving up");
  process.exit(2);
}, DEADLINE_MS);

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/** A full GC in the service (see GC_ON_SIGNAL), then the median of a few samples. */
async function steadyRss(pid: number): Promise<number> {
  process.kill(pid, "SIGUSR2");
  await delay(500);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(await rssBytes(pid));
    await delay(200);
  }
  return samples.sort((a, b) => a - b)[2] as number;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await delay(250);
  }
}

async function main(): Promise<void> {
  const repoData = join(process.cwd(), ".data");
  const images = await ensureImages({ dataDir: repoData });
  const dataDir = await mkdtemp(join(tmpdir(), "gh-bench-mem-"));
  const port = await freePort();
  const child = spawn(process.execPath, ["--expose-gc", "--import", GC_ON_SIGNAL, "--import", "tsx", "apps/host/src/main.ts"], {
    env: {
      ...process.env,
      GUESTHOUSE_DATA: dataDir,
      HOST_PORT: String(port),
      HOST_TOKEN: TOKEN,
      HOST_MEDIA_DIRS: imagesDir(repoData),
      QEMU_TCG_TB_SIZE_MIB: "32",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const api = createHostClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
  const spec = (name: string) => ({
    name,
    profile: "modern" as const,
    cpus: 1,
    memoryMiB: 96,
    disks: [],
    cdrom: null,
    boot: [],
    network: "none" as const,
    kernel: { kernel: images.tinyLinux.kernel, initrd: images.tinyLinux.initrd, cmdline: images.tinyLinux.cmdline },
  });
  const rows: { n: number; serviceMB: number; perGuestMB: number; qemuPerGuestMB: number }[] = [];
  try {
    await waitFor("the host service", async () => (await api.host.info.query()) ?? undefined, 30_000);
    const pid = child.pid as number;
    // Warm-up: one guest through define/start/power-off/delete, so code loading and JIT count in the baseline.
    await api.vm.define.mutate({ id: "warmup", spec: spec("warmup") });
    await api.vm.start.mutate({ id: "warmup" });
    await api.vm.powerOff.mutate({ id: "warmup" });
    await api.vm.delete.mutate({ id: "warmup" });
    const baseline = await steadyRss(pid);
    let running = 0;
    for (const n of COUNTS) {
      const ids = Array.from({ length: n - running }, (_, i) => `mem${running + i}`);
      for (const id of ids) {
        await api.vm.define.mutate({ id, spec: spec(id) });
      }
      await Promise.all(ids.map((id) => api.vm.start.mutate({ id })));
      running = n;
      for (let i = 0; i < n; i++) {
        await waitFor(
          `mem${i}'s prompt`,
          async () => {
            const tail = await api.serial.read.query({ id: `mem${i}`, maxBytes: 4096 });
            return Buffer.from(tail.base64, "base64").toString().includes("tiny# ") ? true : undefined;
          },
          180_000,
        );
      }
      const rss = await steadyRss(pid);
      const vms = await api.vm.list.query();
      const qemu = vms.reduce((sum, v) => sum + (v.rssBytes ?? 0), 0) / vms.length;
      rows.push({ n, serviceMB: rss / MB, perGuestMB: (rss - baseline) / n / MB, qemuPerGuestMB: qemu / MB });
    }
    // Second anchor: the same process after all guests are gone again (same warm-up, same heap history).
    for (const v of await api.vm.list.query()) {
      await api.vm.powerOff.mutate({ id: v.id });
      await api.vm.delete.mutate({ id: v.id });
    }
    const after = await steadyRss(pid);
    const last = rows[rows.length - 1];
    console.log(`host-memory: service RSS with N running tiny guests (-m 96, TCG); baseline (0 guests) ${(baseline / MB).toFixed(1)} MB`);
    console.log("  N   service RSS   per guest (Δ/N)   QEMU's own per guest   per guest ÷ QEMU's own   per guest ÷ goal (15 MB)");
    for (const r of rows) {
      console.log(
        `  ${String(r.n).padEnd(3)} ${r.serviceMB.toFixed(1).padStart(8)} MB   ${r.perGuestMB.toFixed(2).padStart(8)} MB       ` +
          `${r.qemuPerGuestMB.toFixed(1).padStart(8)} MB            ${(r.perGuestMB / r.qemuPerGuestMB).toFixed(3).padStart(6)}                ${(r.perGuestMB / GOAL_MB).toFixed(3)}`,
      );
    }
    if (last) {
      const perGuest = (last.serviceMB - after / MB) / last.n;
      console.log(
        `  after deleting all guests: ${(after / MB).toFixed(1)} MB → ${last.n} guests cost ${perGuest.toFixed(2)} MB each against that anchor`,
      );
      rows.push({ ...last, perGuestMB: perGuest });
    }
    const worst = Math.max(...rows.map((r) => r.perGuestMB));
    console.log(`  goal: < ${GOAL_MB} MB per guest → ${worst < GOAL_MB ? "MET" : "MISSED"} (worst ${worst.toFixed(2)} MB)`);
    console.log("  (a negative figure: the service shrank while guests ran, i.e. the per-guest cost is below RSS noise)");
  } finally {
    for (const v of await api.vm.list.query().catch(() => [])) await api.vm.powerOff.mutate({ id: v.id }).catch(() => undefined);
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    await killLeftovers(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Guests outlive the service by design: kill any that a failed run left behind. */
async function killLeftovers(dataDir: string): Promise<void> {
  const vms = join(dataDir, "host", "vms");
  for (const id of await readdir(vms).catch(() => [])) {
    const pid = Number.parseInt(await readFile(join(vms, id, "qemu.pid"), "utf8").catch(() => ""), 10);
    if (pid > 0) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

main()
  .catch((err: Error) => {
    console.error(`host-memory: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => clearTimeout(hardStop));
