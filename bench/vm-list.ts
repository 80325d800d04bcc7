// VM list API with 10,000 VMs and 1,000 users in a real PostgreSQL (goal: p95 < 50 ms, paginated).
// Anchor: the same page fetched with one hand-written SQL query through the same driver, so the
// ratio shows what the API layer (auth, access filter, counts, tRPC) adds.
//   DATABASE_URL=postgresql://… node --import tsx bench/vm-list.ts
// Without DATABASE_URL it starts a throwaway embedded PostgreSQL.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { seedBuiltInRoles } from "@guesthouse/db";
import { startEmbeddedPostgres } from "@guesthouse/db/embedded-postgres";
import { createTestDatabase } from "@guesthouse/db/testing";
import { createCaller, createContextInner, createHostGateway } from "@guesthouse/api";

const VMS = 10_000;
const USERS = 1_000;
const RUNS = 200;

let scratch: string | undefined;
let embedded: { stop(): Promise<void>; url: string } | undefined;
if (!process.env.DATABASE_URL) {
  scratch = await mkdtemp(path.join(tmpdir(), "gh-bench-"));
  await chmod(scratch, 0o755);
  embedded = await startEmbeddedPostgres({ dataDir: scratch, port: 54400 + Math.floor(Math.random() * 400), password: "bench" });
}
const t = await createTestDatabase(process.env.DATABASE_URL ?? embedded!.url);
const { db } = t;
await seedBuiltInRoles(db);
const host = await db.host.create({ data: { name: "local", url: "http://127.0.0.1:9", tokenHash: "-" } });
const states = ["running", "stopped", "paused", "suspended"] as const;
await db.vm.createMany({
  data: Array.from({ length: VMS }, (_, i) => ({
    name: `vm-${String(i).padStart(5, "0")}`,
    hostId: host.id,
    state: states[i % 4],
    memoryMiB: 128 + (i % 16) * 64,
  })),
});
await db.user.createMany({
  data: Array.from({ length: USERS }, (_, i) => ({ email: `user${i}@bench.local`, name: `User ${i}`, passwordHash: "!" })),
});
const vmIds = (await db.vm.findMany({ select: { id: true } })).map((v) => v.id);
const userIds = (await db.user.findMany({ select: { id: true } })).map((u) => u.id);
const operator = await db.role.findUniqueOrThrow({ where: { name: "Operator" } });
const admin = await db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
// Every user gets 20 VMs; user 0 is an administrator.
await db.accessGrant.createMany({
  data: userIds.flatMap((userId, u) =>
    Array.from({ length: 20 }, (_, k) => ({ roleId: operator.id, userId, scope: "vm" as const, vmId: vmIds[(u * 20 + k) % VMS]! })),
  ),
});
await db.accessGrant.create({ data: { roleId: admin.id, userId: userIds[0]!, scope: "global" } });
await db.$executeRawUnsafe("ANALYZE");

function caller(userId: string) {
  return createCaller(
    createContextInner({
      db,
      hosts: createHostGateway(db, "-"),
      ip: "bench",
      secureCookies: false,
      user: { id: userId, email: "x", name: "x", sessionId: "-" },
    }),
  );
}

async function measure(label: string, fn: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 20; i++) await fn(i); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const p = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { label, p50: p(0.5), p95: p(0.95) };
}

const rows = [
  await measure("anchor: one SQL query for the page", (i) =>
    db.$queryRawUnsafe(`SELECT id, name, state FROM "Vm" ORDER BY name LIMIT 50 OFFSET ${(i % 100) * 50}`),
  ),
  await measure("vm.list as admin (all 10,000), page by page", (i) => caller(userIds[0]!).vm.list({ page: (i % 100) + 1, pageSize: 50 })),
  await measure("vm.list as admin, search 'vm-01' + state filter", () =>
    caller(userIds[0]!).vm.list({ search: "vm-01", state: "running" }),
  ),
  await measure("vm.list as a user granted 20 VMs", (i) => caller(userIds[1 + (i % (USERS - 1))]!).vm.list({})),
];
const anchor = rows[0]!;
console.log(`\nVM list with ${VMS} VMs and ${USERS} users, ${RUNS} calls each (goal: p95 < 50 ms)\n`);
console.log("what".padEnd(52), "p50 ms".padStart(8), "p95 ms".padStart(8), "p95 × anchor".padStart(13), "goal");
for (const r of rows) {
  const goal = r === anchor ? "" : r.p95 < 50 ? "MET" : "MISSED";
  console.log(
    r.label.padEnd(52),
    r.p50.toFixed(2).padStart(8),
    r.p95.toFixed(2).padStart(8),
    (r.p95 / anchor.p95).toFixed(1).padStart(13),
    goal,
  );
}
await t.drop();
await embedded?.stop();
if (scratch) await rm(scratch, { recursive: true, force: true });
