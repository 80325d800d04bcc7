// Fuzzing every console procedure, 2,000 generated inputs each (the CI test runs 100): each answer
// must be a success or a 4xx within 10 s. Anchor: the same number of calls of one fixed, valid
// input (auth.me), so "× anchor" says what the generated inputs cost per call.
//   DATABASE_URL=… HOST_URL=… HOST_TOKEN=… node --import tsx bench/fuzz-api.ts     # BENCH_CASES=N, BENCH_SEED=N
// Without DATABASE_URL it starts a throwaway embedded PostgreSQL; without HOST_URL the procedures
// that reach a host answer 500 ("fetch failed"), so give it a running host service.
import { chmod, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { seedBuiltInRoles } from "@guesthouse/db";
import { startEmbeddedPostgres } from "@guesthouse/db/embedded-postgres";
import { createTestDatabase } from "@guesthouse/db/testing";
import { createCaller, createContextInner, createHostGateway } from "@guesthouse/api";
import { consoleProcedures, fuzzProcedure } from "../packages/api/src/procedure-fuzz.test-support.ts";

const CASES = Number(process.env.BENCH_CASES ?? 2000);
const seed = process.env.BENCH_SEED ? Number(process.env.BENCH_SEED) : undefined;

let embedded: { stop(): Promise<void>; url: string } | undefined;
if (!process.env.DATABASE_URL) {
  const scratch = await mkdtemp(path.join(tmpdir(), "gh-bench-"));
  await chmod(scratch, 0o755);
  embedded = await startEmbeddedPostgres({ dataDir: scratch, port: 54400 + Math.floor(Math.random() * 400), password: "bench" });
}
const t = await createTestDatabase(process.env.DATABASE_URL ?? embedded!.url);
await seedBuiltInRoles(t.db);
const hostId = (await t.db.host.create({ data: { name: "local", url: process.env.HOST_URL ?? "http://127.0.0.1:9", tokenHash: "-" } })).id;
const hosts = createHostGateway(t.db, process.env.HOST_TOKEN ?? "-");

// Anchor: auth.me, CASES times, as a signed-in administrator.
const admin = await t.db.user.create({ data: { email: "anchor@bench.local", name: "Anchor", passwordHash: "!" } });
const session = await t.db.session.create({ data: { tokenHash: "anchor", userId: admin.id, expiresAt: new Date(Date.now() + 3_600_000) } });
const anchorCaller = createCaller(
  createContextInner({ db: t.db, hosts, ip: "bench", secureCookies: false, user: { ...admin, sessionId: session.id } }),
);
let started = performance.now();
for (let i = 0; i < CASES; i++) await anchorCaller.auth.me();
const anchorMsPerCall = (performance.now() - started) / CASES;

const procedures = consoleProcedures();
let total = 0;
const failures: string[] = [];
started = performance.now();
for (const { path: name, inputs } of procedures) {
  const t0 = performance.now();
  const report = await fuzzProcedure(name, inputs, { db: t.db, hosts, hostId, casesPerProcedure: CASES, callTimeoutMs: 10_000, seed });
  total += report.cases;
  const msPerCall = (performance.now() - t0) / Math.max(report.cases, 1);
  const top = Object.entries(report.answers)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([a, n]) => `${a} ×${n}`)
    .join(", ");
  console.log(
    `${name.padEnd(24)} ${String(report.cases).padStart(5)} cases  ${msPerCall.toFixed(2)} ms/call (${(msPerCall / anchorMsPerCall).toFixed(1)}× anchor)  ${top}`,
  );
  if (report.failure) {
    failures.push(`${name}: ${report.failure.answer} to ${JSON.stringify(report.failure.input)?.slice(0, 300)}`);
    console.log(`  FAILED: ${failures.at(-1)}`);
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(`\nanchor auth.me: ${anchorMsPerCall.toFixed(2)} ms/call`);
console.log(
  `${procedures.length} procedures, ${total} cases in ${seconds.toFixed(0)} s (${(total / seconds).toFixed(0)}/s), ${failures.length} failed`,
);
await t.drop();
await embedded?.stop();
process.exit(failures.length ? 1 : 0);
