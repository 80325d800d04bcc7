// Runs node:test files and Playwright as child processes and reads back their counts.
import { spawn } from "node:child_process";
import { readdir, readFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "./env.ts";

export interface Counts {
  passed: number;
  failed: number;
}

const ROOTS = ["apps", "packages", "scripts", "bench"];
const SKIP = new Set(["node_modules", ".next", "generated", ".data"]);

export async function findTests(match: (file: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (SKIP.has(e.name)) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (match(e.name)) found.push(path.relative(repoRoot, full));
    }
  };
  for (const root of ROOTS) await walk(path.join(repoRoot, root));
  return found.sort();
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv as [string, ...string[]];
    const child = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: "inherit" });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

/** `concurrency`: files run at once; `preload`: a module each file's process imports first. */
export async function runNodeTests(
  layer: string,
  files: string[],
  env: NodeJS.ProcessEnv,
  opts: { concurrency?: number; preload?: string } = {},
): Promise<Counts> {
  console.log(`\n=== ${layer}: ${files.length} test files ===`);
  if (files.length === 0) return { passed: 0, failed: 0 };
  const tap = path.join(await mkdtemp(path.join(tmpdir(), "gh-tap-")), "out.tap");
  const code = await run(
    [
      process.execPath,
      "--import",
      "tsx",
      ...(opts.preload ? ["--import", opts.preload] : []),
      "--test",
      `--test-concurrency=${opts.concurrency ?? 1}`,
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=tap",
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    env,
  );
  const text = await readFile(tap, "utf8").catch(() => "");
  const count = (key: string) => Number(new RegExp(`^# ${key} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
  const counts = { passed: count("pass"), failed: count("fail") + count("cancelled") };
  if (code !== 0 && counts.failed === 0) counts.failed = 1; // the runner itself failed
  console.log(`${layer}: ${counts.passed} passed, ${counts.failed} failed`);
  return counts;
}

export async function runPlaywright(env: NodeJS.ProcessEnv): Promise<Counts> {
  console.log("\n=== e2e (Playwright, Chromium) ===");
  const report = path.join(await mkdtemp(path.join(tmpdir(), "gh-pw-")), "report.json");
  // GH_E2E_FILES="by-name auth" runs only the spec files those filters match (Playwright's own filter).
  const files = (process.env.GH_E2E_FILES ?? "").split(/\s+/).filter(Boolean);
  const code = await run([path.join(repoRoot, "node_modules/.bin/playwright"), "test", "--config", "e2e/playwright.config.ts", ...files], {
    ...env,
    PLAYWRIGHT_JSON_OUTPUT_NAME: report,
  });
  const stats = JSON.parse(await readFile(report, "utf8").catch(() => "{}")) as {
    stats?: { expected?: number; unexpected?: number; flaky?: number };
  };
  const counts = { passed: (stats.stats?.expected ?? 0) + (stats.stats?.flaky ?? 0), failed: stats.stats?.unexpected ?? 0 };
  if (code !== 0 && counts.failed === 0) counts.failed = 1;
  console.log(`e2e: ${counts.passed} passed, ${counts.failed} failed`);
  return counts;
}
