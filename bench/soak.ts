// Soak: a mixed workload for SOAK_MINUTES (10 by default, as issue 11 asks) with the console's and
// the host service's memory, file descriptors and sockets sampled every 10 s, and QEMU processes
// counted. Passes when, once warm (the first 2 minutes, or a fifth of a short run, are warm-up),
// each process's RSS grows by under 1 MB a minute (least-squares slope), and at the end no
// descriptor, socket or QEMU process is left over from the workload. Anchor: the samples at the
// end of the warm-up.
//   CONSOLE_URL=… DATABASE_URL=… HOST_PORT=… GUESTHOUSE_DATA=… node --import tsx bench/soak.ts    # SOAK_MINUTES=N, SOAK_SAMPLE_S=N (10)
// (GUESTHOUSE_DATA: the stack's data folder, so only its QEMU processes are counted.)
import { readdir, readFile, readlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { adminSession, base, db, mutate, query, removeVm, runningVm, stateListener, viewer } from "./load-support.ts";
import { openHeapInspector, pidOnPort, type HeapReading } from "./heap-inspector.ts";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const SAMPLE_S = Number(process.env.SOAK_SAMPLE_S ?? 10);
const WARM_MIN = Math.min(2, MINUTES / 5);
const deadline = setTimeout(() => (console.error("soak: deadline passed"), process.exit(2)), (MINUTES * 60 + 300) * 1000);

async function sample(pid: number) {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const fds = await readdir(`/proc/${pid}/fd`);
  let sockets = 0;
  for (const fd of fds) if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "")).startsWith("socket:")) sockets++;
  return { rssMiB: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024, fds: fds.length, sockets };
}

const dataDir = process.env.GUESTHOUSE_DATA;
async function qemuCount(): Promise<number> {
  let n = 0;
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    // Only this stack's guests (their state folders are under its data folder's host/), when it is named:
    // a test stack's data folder may sit inside this one.
    if ((cmd.startsWith("qemu-system") || cmd.includes("/qemu-system")) && (!dataDir || cmd.includes(`${dataDir}/host/`))) n++;
  }
  return n;
}

function slopePerMinute(points: { t: number; v: number }[]): number {
  const n = points.length;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const mv = points.reduce((s, p) => s + p.v, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.v - mv), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den ? num / den : 0;
}

const consolePid = await pidOnPort(Number(new URL(base).port || 80));
const hostPid = await pidOnPort(Number(process.env.HOST_PORT ?? Number(new URL(base).port) + 1));
// The console's heap after a full collection, through its inspector (SOAK_INSPECT=0 turns it off).
// Forcing collections changes the RSS curve: run once with it and once without.
const inspector = process.env.SOAK_INSPECT === "0" ? undefined : await openHeapInspector(consolePid);
const s = await adminSession();
const qemuBefore = await qemuCount();
const tag = randomBytes(2).toString("hex");
const started = Date.now();
const minutes = () => (Date.now() - started) / 60_000;
type Sample = {
  t: number;
  console: Awaited<ReturnType<typeof sample>>;
  host: Awaited<ReturnType<typeof sample>>;
  heap?: HeapReading;
};
const samples: Sample[] = [];
let cycles = 0;
const viewerErrors: string[] = [];
let running = true;

const sampler = (async () => {
  while (running) {
    const t = minutes();
    const heap = await inspector?.read();
    samples.push({ t, console: await sample(consolePid), host: await sample(hostPid), heap });
    const last = samples.at(-1)!;
    const heapText = (h?: HeapReading) => (h ? ` (heap after GC ${h.heapUsedMiB.toFixed(1)} MiB, ${h.responses} responses held)` : "");
    console.log(
      `${last.t.toFixed(1).padStart(5)} min  console ${last.console.rssMiB.toFixed(1)} MiB${heapText(heap)} ${last.console.fds} fds ${last.console.sockets} sockets  host ${last.host.rssMiB.toFixed(1)} MiB ${last.host.fds} fds ${last.host.sockets} sockets  cycles ${cycles}`,
    );
    await new Promise((r) => setTimeout(r, SAMPLE_S * 1000));
  }
})();

// The workload, one cycle after another: a VM started, watched by 3 viewers and 3 state streams
// while the list is read and the VM paused and resumed, then stopped and deleted.
const vmIds: string[] = [];
try {
  while (minutes() < MINUTES) {
    const vmId = await runningVm(s, `soak-${tag}-${cycles}`);
    vmIds.push(vmId);
    const viewers = await Promise.all([0, 1, 2].map(() => viewer(s, vmId)));
    const streams = await Promise.all([0, 1, 2].map(() => stateListener(s)));
    for (let i = 0; i < 10; i++) {
      await (await query(s, "vm.list", {})).arrayBuffer();
      await mutate(s, i % 2 === 0 ? "vm.pause" : "vm.resume", { vmId });
      await (await query(s, "serial.read", { vmId })).arrayBuffer();
    }
    for (const v of viewers) if (v.error) viewerErrors.push(v.error);
    await Promise.all(viewers.map((v) => v.stop()));
    for (const st of streams) st.stop();
    await removeVm(s, vmId);
    vmIds.pop();
    cycles++;
  }
} finally {
  for (const vmId of vmIds) await removeVm(s, vmId);
}
// Let closed sockets and the last exits settle before the last sample.
await new Promise((r) => setTimeout(r, 5000));
running = false;
await sampler;
const endHeap = await inspector?.read();
await inspector?.close();
const end = { t: minutes(), console: await sample(consolePid), host: await sample(hostPid) };
const warm = samples.filter((x) => x.t >= WARM_MIN);
const anchor = warm[0] ?? samples[0]!;
const qemuAfter = await qemuCount();
let pass = true;
console.log(`\n${cycles} cycles in ${end.t.toFixed(1)} min, ${samples.length} samples every ${SAMPLE_S} s; warm from ${WARM_MIN} min`);
for (const who of ["console", "host"] as const) {
  const slope = slopePerMinute(warm.map((x) => ({ t: x.t, v: x[who].rssMiB })));
  const leakedFds = end[who].fds - anchor[who].fds;
  const leakedSockets = end[who].sockets - anchor[who].sockets;
  const ok = slope < 1 && leakedFds <= 0 && leakedSockets <= 0;
  pass &&= ok;
  console.log(
    `${who}: RSS ${anchor[who].rssMiB.toFixed(1)} → ${end[who].rssMiB.toFixed(1)} MiB (${(end[who].rssMiB / anchor[who].rssMiB).toFixed(2)}× warm anchor), slope ${slope.toFixed(2)} MB/min (goal < 1); fds ${anchor[who].fds} → ${end[who].fds}, sockets ${anchor[who].sockets} → ${end[who].sockets}: ${ok ? "MET" : "MISSED"}`,
  );
}
if (endHeap && anchor.heap) {
  const heapSlope = slopePerMinute(warm.map((x) => ({ t: x.t, v: x.heap!.heapUsedMiB })));
  console.log(
    `console heap after full GC: ${anchor.heap.heapUsedMiB.toFixed(1)} → ${endHeap.heapUsedMiB.toFixed(1)} MiB, slope ${heapSlope.toFixed(2)} MB/min; http responses held ${anchor.heap.responses} → ${endHeap.responses}`,
  );
}
console.log(
  `viewers cut off by the display: ${viewerErrors.length}${viewerErrors.length ? ` (${[...new Set(viewerErrors)].join("; ")})` : ""}`,
);
console.log(`QEMU processes: ${qemuBefore} before, ${qemuAfter} after: ${qemuAfter <= qemuBefore ? "MET" : "MISSED"}`);
pass &&= qemuAfter <= qemuBefore;
await db.user.delete({ where: { id: s.userId } });
await db.$disconnect();
clearTimeout(deadline);
process.exit(pass ? 0 : 1);
