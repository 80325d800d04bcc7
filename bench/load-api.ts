// API load: 50 clients, each looping on the VM list (one call in flight per client, keep-alive),
// while 50 more hold the live state stream (vm.events over SSE) open and a VM is paused and resumed.
// Anchor: the same 50 clients on auth.me (session check and tRPC, no list query), so "× anchor" is
// what the list itself costs under load. Small hand-written client: autocannon would add a
// dependency for one loop, and it cannot hold SSE streams.
//   CONSOLE_URL=… DATABASE_URL=… node --import tsx bench/load-api.ts    # BENCH_SECONDS=N (20), BENCH_CLIENTS=N (50)
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { adminSession, db, mutate, percentile, query, removeVm, runningVm, stateListener, type Session } from "./load-support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const deadline = setTimeout(() => (console.error("load-api: deadline passed"), process.exit(2)), (SECONDS * 2 + 240) * 1000);

async function hammer(s: Session, label: string, path: string, input: unknown, seconds = SECONDS) {
  const stopAt = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < stopAt) {
        const t0 = performance.now();
        const res = await query(s, path, input).catch(() => undefined);
        await res?.arrayBuffer();
        if (!res?.ok) errors++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const row = { label, rps: latencies.length / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), errors };
  console.log(
    `${label.padEnd(34)} ${row.rps.toFixed(0).padStart(6)} req/s  p50 ${row.p50.toFixed(1)} ms  p95 ${row.p95.toFixed(1)} ms  ${errors} errors`,
  );
  return row;
}

const s = await adminSession();
let vmId: string | undefined;
try {
  vmId = await runningVm(s, `load-api-${randomBytes(2).toString("hex")}`);
  // Warm-up (JIT, connection pool, Prisma's first queries), not counted.
  await hammer(s, "(warm-up, not counted)", "vm.list", {}, 3);
  const anchor = await hammer(s, `anchor: ${CLIENTS} clients on auth.me`, "auth.me", undefined);
  const listeners = await Promise.all(Array.from({ length: CLIENTS }, () => stateListener(s)));
  let transitions = 0;
  const flipping = (async () => {
    const stopAt = performance.now() + SECONDS * 1000;
    while (performance.now() < stopAt) {
      await mutate(s, transitions % 2 === 0 ? "vm.pause" : "vm.resume", { vmId });
      transitions++;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (transitions % 2 === 1) await mutate(s, "vm.resume", { vmId });
  })();
  const list = await hammer(s, `${CLIENTS} clients on vm.list + ${CLIENTS} streams`, "vm.list", {});
  await flipping;
  await new Promise((r) => setTimeout(r, 1000));
  for (const l of listeners) l.stop();
  const delays = listeners.flatMap((l) => l.delays);
  const got = listeners.map((l) => l.delays.length);
  console.log(
    `state stream: ${transitions} transitions, ${CLIENTS} streams received ${Math.min(...got)}–${Math.max(...got)} state events each; delivery p50 ${percentile(delays, 50)} ms, p95 ${percentile(delays, 95)} ms`,
  );
  console.log(
    `vm.list under load: ${(list.rps / anchor.rps).toFixed(2)}× anchor throughput, p95 ${(list.p95 / anchor.p95).toFixed(1)}× anchor`,
  );
} finally {
  if (vmId) await removeVm(s, vmId);
  await db.user.delete({ where: { id: s.userId } });
  await db.$disconnect();
  clearTimeout(deadline);
}
