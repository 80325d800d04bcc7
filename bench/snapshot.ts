/**
 * Snapshot take and revert through the host API (in-process caller) for a tiny-Linux guest with -m 256.
 *
 *   node --import tsx bench/snapshot.ts          (~1 min, stops itself; BENCH_ROUNDS=N (5), BENCH_FILL_MIB=M (64))
 *
 * The guest first fills M MiB of its RAM with random bytes (a file in its initramfs), so the RAM state is
 * not just zero pages. Per round, on the same running guest:
 *   ours:    snapshot.take (QMP job snapshot-save) → snapshot.revert (snapshot-load) → snapshot.delete
 *   anchors: HMP savevm / loadvm / delvm through human-monitor-command (QEMU's own path, docs/machine-facts.md),
 *            the bare snapshot-load job on the HMP snapshot (separates the job mechanism from our service),
 *            and a QMP stop+cont round trip (the floor of any pause-the-guest operation)
 * Medians are printed with ratios ours ÷ HMP. Goal (docs/design.md): revert ≤ 0.5 s for a 256 MB guest.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureImages } from "@guesthouse/images";
import { runSnapshotJob } from "@guesthouse/qemu/snapshot-ops";
import { VmSpecSchema } from "@guesthouse/shared/vm";
import { pino } from "pino";
import { createHostCaller } from "../apps/host/src/router.ts";
import { HostService } from "../apps/host/src/service.ts";
import { accelLabel, benchHostConfig, benchImagesData } from "./host-config.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const FILL_MIB = Number(process.env.BENCH_FILL_MIB ?? 64);
const DEADLINE_MS = 240_000;
const GOAL_REVERT_MS = 500;
const VM = "snapbench";

let killGuest: () => void = () => undefined;
const hardStop = setTimeout(() => {
  console.error("snapshot bench: deadline passed, giving up");
  killGuest();
  process.exit(2);
}, DEADLINE_MS);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number) => `${x.toFixed(0).padStart(5)} ms`;
async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

async function waitSerial(service: HostService, from: number, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ring = service.vms.get(VM).serial.ring;
    const text = ring.tail(Math.max(0, ring.total - from)).toString("latin1");
    if (pattern.test(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`guest did not print ${pattern} within ${timeoutMs} ms`);
}

async function main(): Promise<void> {
  const images = await ensureImages({ dataDir: benchImagesData });
  const dataDir = await mkdtemp(join(tmpdir(), "gh-bench-snap-"));
  const config = await benchHostConfig(dataDir);
  const service = await HostService.open(config, pino({ level: "silent" }));
  const api = createHostCaller({ service, authenticated: true });
  killGuest = () => service.vms.records.get(VM)?.instance?.kill("SIGKILL");
  const ours = { take: [] as number[], revert: [] as number[], del: [] as number[] };
  const hmp = { save: [] as number[], load: [] as number[], del: [] as number[] };
  const rawJobLoad: number[] = [];
  const stopCont: number[] = [];
  let stateBytes = 0;
  try {
    await api.disk.create({ id: "bench-disk", sizeBytes: 64 * 1024 * 1024 });
    const spec = VmSpecSchema.parse({
      name: VM,
      memoryMiB: 256,
      cdrom: null,
      disks: [{ disk: "bench-disk" }],
      kernel: { kernel: images.tinyLinux.kernel, initrd: images.tinyLinux.initrd, cmdline: images.tinyLinux.cmdline },
    });
    await api.vm.define({ id: VM, spec });
    await api.vm.start({ id: VM });
    await waitSerial(service, 0, /tiny# /, 90_000);
    const from = service.vms.get(VM).serial.ring.total;
    await service.serialWrite(VM, Buffer.from(`head -c ${FILL_MIB}M /dev/urandom > /fill; echo fill-$((6*7))\n`));
    await waitSerial(service, from, /\nfill-42/, 90_000);
    const qmp = service.vms.get(VM).instance!.qmp;
    const hmpCmd = async (cmd: string) => {
      const out = await qmp.execute<string>("human-monitor-command", { "command-line": cmd }, { timeoutMs: 60_000 });
      if (out.trim()) throw new Error(`HMP ${cmd}: ${out.trim()}`);
    };
    for (let round = 0; round < ROUNDS; round++) {
      const name = `round-${round}`;
      ours.take.push(await timed(async () => (stateBytes = (await api.snapshot.take({ id: VM, name })).vmStateBytes)));
      ours.revert.push(await timed(() => api.snapshot.revert({ id: VM, name })));
      ours.del.push(await timed(() => api.snapshot.delete({ id: VM, name })));
      hmp.save.push(await timed(() => hmpCmd(`savevm hmp-${round}`)));
      hmp.load.push(await timed(() => hmpCmd(`loadvm hmp-${round}`)));
      const job = { tag: `hmp-${round}`, vmstate: "disk0", devices: ["disk0"] };
      rawJobLoad.push(await timed(() => runSnapshotJob(qmp, "snapshot-load", job, { timeoutMs: 60_000 })));
      hmp.del.push(await timed(() => hmpCmd(`delvm hmp-${round}`)));
      stopCont.push(await timed(async () => (await qmp.execute("stop"), await qmp.execute("cont"))));
    }
  } finally {
    killGuest();
    await service.vms.records.get(VM)?.instance?.exited;
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  const [t, r, d] = [median(ours.take), median(ours.revert), median(ours.del)];
  const [hs, hl, hd] = [median(hmp.save), median(hmp.load), median(hmp.del)];
  console.log(`snapshot: ${ROUNDS} rounds, tiny Linux -m 256 with ${FILL_MIB} MiB of random RAM, accel ${accelLabel(config)}; medians`);
  console.log(`  RAM state in the qcow2: ${(stateBytes / 1024 ** 2).toFixed(1)} MiB`);
  console.log(`  take   (snapshot.take)    ${ms(t)}   HMP savevm ${ms(hs)}   ratio ${(t / hs).toFixed(2)}x`);
  console.log(`  revert (snapshot.revert)  ${ms(r)}   HMP loadvm ${ms(hl)}   ratio ${(r / hl).toFixed(2)}x`);
  console.log(`  delete (snapshot.delete)  ${ms(d)}   HMP delvm  ${ms(hd)}   ratio ${(d / hd).toFixed(2)}x`);
  console.log(`  (diagnostic) bare snapshot-load job, no service: ${ms(median(rawJobLoad))}`);
  console.log(`  anchor QMP stop+cont      ${ms(median(stopCont))}`);
  console.log(`  rounds take/revert ms: ${ours.take.map((x, i) => `${x.toFixed(0)}/${ours.revert[i]?.toFixed(0)}`).join(" ")}`);
  console.log(`  goal: revert ≤ ${GOAL_REVERT_MS} ms → ${r <= GOAL_REVERT_MS ? "MET" : "MISSED"}`);
}

main()
  .catch((err: Error) => {
    console.error(`snapshot bench: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => clearTimeout(hardStop));
