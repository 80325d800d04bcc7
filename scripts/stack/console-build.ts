// `next build` only when the console's sources changed since the last build.
import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { StackError, repoRoot } from "./env.ts";

const SOURCES = ["apps/console", "packages/api/src", "packages/shared/src", "packages/rfb/src", "packages/db/src"];
const SKIP = new Set(["node_modules", ".next", "generated"]);

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    const t = entry.isDirectory() ? await newestMtime(full) : (await stat(full)).mtimeMs;
    newest = Math.max(newest, t);
  }
  return newest;
}

export async function buildConsoleIfStale(log: (l: string) => void): Promise<void> {
  const buildId = path.join(repoRoot, "apps/console/.next/BUILD_ID");
  const built = await stat(buildId).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const sources = Math.max(...(await Promise.all(SOURCES.map((d) => newestMtime(path.join(repoRoot, d))))));
  if (built > sources) return;
  log("Building the console (next build)…");
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "node_modules/next/dist/bin/next"), "build"], {
      cwd: path.join(repoRoot, "apps/console"),
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("exit", resolve);
  });
  if (code !== 0) throw new StackError("The console build failed (see the output above).");
}
