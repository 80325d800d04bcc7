// `npm test`: every layer, against the real parts (docs/decisions/0006-test-layers.md).
//   unit         *.test.ts next to the code (no services)
//   db           *.db.test.ts, against the embedded Postgres, and again (all but the input fuzzer) against GUESTHOUSE_TEST_EXTRA_DB
//   integration  *.int.test.ts, real QEMU guests
//   e2e          Playwright + Debian's Chromium against the whole stack started like `npm run up`
// The last line is the total: "N passed, N failed".
import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { mkdir, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { untraversableParent } from "@guesthouse/db/embedded-postgres";
import path from "node:path";
import { readStackEnv, repoRoot, StackError } from "./stack/env.ts";
import { startStack, stopRuntime, type Stack, type StackRuntime } from "./stack/stack.ts";
import { findTests, runNodeTests, runPlaywright, type Counts } from "./stack/test-runners.ts";
import { ensureQemu } from "./stack/qemu-tools.ts";
import { otherAccelerator } from "./stack/other-accel.ts";
import { createSecondHostNetns, createTestNetns, removeFileNetns, type TestNetns } from "./stack/test-netns.ts";

const wanted = new Set(process.argv.slice(2).length ? process.argv.slice(2) : ["unit", "db", "integration", "e2e"]);
// Tests keep their data under the checkout, unless a parent folder (say /root) would keep the
// embedded PostgreSQL, which runs as its own user, out; then under the system's temp folder.
const inRepo = path.join(repoRoot, ".data", "test");
const dataDir = untraversableParent(inRepo)
  ? path.join(tmpdir(), `guesthouse-test-${createHash("sha1").update(repoRoot).digest("hex").slice(0, 8)}`)
  : inRepo;
// Ports of the test stack: 3100 (console), 3101 (host), 54339 (PostgreSQL) unless GUESTHOUSE_TEST_PORT_BASE
// moves them all, so two checkouts can run their suites side by side.
const portBase = Number(process.env.GUESTHOUSE_TEST_PORT_BASE ?? 3100);
const total: Counts = { passed: 0, failed: 0 };
const add = (c: Counts) => ((total.passed += c.passed), (total.failed += c.failed));
const log = (line: string) => console.log(line);
let stack: Stack | undefined;
let netns: TestNetns | undefined;
let e2eEnv: Record<string, string> = {};
const runtime: StackRuntime = { services: [] };
// embedded-postgres (through async-exit-hook) exits the process on these signals once the database
// is down, which would cut our own orderly stop short and orphan the host service.
process.removeAllListeners("SIGINT");
process.removeAllListeners("SIGTERM");
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(
    signal,
    // Whatever stopping the stack runs into, the namespace (and what runs in it) still goes.
    () =>
      void stopRuntime(runtime)
        .catch((err: unknown) => console.error(`stopping the test stack: ${(err as Error).message}`))
        .then(() => netns?.remove())
        .finally(() => process.exit(130)),
  );
}

async function freshDataDir(dir: string) {
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) if (name !== "images") await rm(path.join(dir, name), { recursive: true, force: true });
}

try {
  // A fresh data folder each run: no test leans on what an earlier run left behind. Guest images
  // are build products keyed by their recipe's hash, so they are kept.
  await freshDataDir(dataDir);
  const env = readStackEnv({
    ...process.env,
    GUESTHOUSE_DATA: dataDir,
    PORT: String(portBase),
    HOST_PORT: String(portBase + 1),
    GUESTHOUSE_PG_PORT: String(portBase + 51239),
    ADMIN_EMAIL: "admin@test.local",
    ADMIN_PASSWORD: "test-admin-password-1",
  });
  if (wanted.has("unit"))
    add(await runNodeTests("unit", await findTests((f) => f.endsWith(".test.ts") && !/\.(int|db)\.test\.ts$/.test(f)), {}));
  const problem = await ensureQemu(log);
  if (problem && (wanted.has("integration") || wanted.has("e2e"))) throw new StackError(problem);
  if (wanted.has("db") || wanted.has("e2e") || wanted.has("integration")) {
    netns = await createTestNetns(portBase);
    if (netns) process.env.GUESTHOUSE_NETNS = netns.name;
    // The e2e layer's second host reaches the stack's host for moves over a veth pair of their own.
    const second = netns && wanted.has("e2e") ? await createSecondHostNetns(netns.name) : undefined;
    e2eEnv = second ? { E2E_SECOND_HOST_NETNS: second.name, E2E_SECOND_HOST_ADDRESS: second.address } : {};
    stack = await startStack(env, log, runtime, second ? { HOST_MIGRATION_ADDRESS: second.localAddress } : {});
  }
  const stackEnv = stack
    ? {
        DATABASE_URL: stack.databaseUrl,
        GUESTHOUSE_DATA: dataDir,
        HOST_URL: stack.hostUrl,
        HOST_TOKEN: stack.hostToken,
        CONSOLE_URL: stack.consoleUrl,
      }
    : {};
  if (wanted.has("db")) {
    // GH_DB_FILES="security access" runs only the DB test files whose names contain one of those words.
    const only = (process.env.GH_DB_FILES ?? "").split(/\s+/).filter(Boolean);
    const dbTests = (await findTests((f) => f.endsWith(".db.test.ts"))).filter((f) => !only.length || only.some((w) => f.includes(w)));
    add(await runNodeTests("db (embedded PostgreSQL)", dbTests, stackEnv));
    const extra = process.env.GUESTHOUSE_TEST_EXTRA_DB;
    // The input fuzzer (minutes of generated inputs) probes validation, which no database changes:
    // it runs once, against the embedded server; every other DB file runs against both.
    const onExtra = dbTests.filter((f) => !f.includes("procedure-fuzz"));
    if (extra)
      add(await runNodeTests("db (GUESTHOUSE_TEST_EXTRA_DB; not the input fuzzer)", onExtra, { ...stackEnv, DATABASE_URL: extra }));
  }
  if (wanted.has("integration")) {
    // GH_INT_FILES="crash-points" likewise for the integration files.
    const only = (process.env.GH_INT_FILES ?? "").split(/\s+/).filter(Boolean);
    const intTests = (await findTests((f) => f.endsWith(".int.test.ts"))).filter((f) => !only.length || only.some((w) => f.includes(w)));
    // Two files at a time (GH_INT_CONCURRENCY), each in a network namespace of its own (file-netns.ts):
    // most of a file's time is spent waiting on its guests.
    // Without namespaces (not root) the files' host services would share the machine's: one at a time.
    const concurrency = netns ? Number(process.env.GH_INT_CONCURRENCY ?? 2) : 1;
    const preload = netns ? path.join(repoRoot, "scripts/stack/file-netns.ts") : undefined;
    add(await runNodeTests(`integration (${concurrency} files at a time)`, intTests, stackEnv, { concurrency, preload }));
    if (netns) await removeFileNetns(netns.name);
    const { other, why } = await otherAccelerator(process.env);
    if (other) {
      const hostTests = await findTests((f) => f.endsWith(".int.test.ts"));
      const onHost = hostTests.filter((f) => f.startsWith("apps/host/") || f.startsWith("packages/qemu/"));
      add(
        await runNodeTests(
          `integration again with GUESTHOUSE_ACCEL=${other} (${why})`,
          onHost,
          { ...stackEnv, GUESTHOUSE_ACCEL: other },
          { concurrency, preload },
        ),
      );
      if (netns) await removeFileNetns(netns.name);
    } else {
      log(`\n=== integration with the other accelerator: not run, this machine has only one usable (${why}) ===`);
    }
  }
  if (wanted.has("e2e") && existsSync(path.join(repoRoot, "e2e"))) add(await runPlaywright({ ...stackEnv, ...e2eEnv }));
} catch (error) {
  console.error(error instanceof StackError ? `Tests could not run: ${error.message}` : error);
  total.failed += 1;
} finally {
  await stack?.stop();
  await netns?.remove();
}
console.log(`\n${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed > 0 || total.passed === 0 ? 1 : 0);
