/** The host service's start-up refusals: one clear line on stderr, a non-zero exit, nothing half-started. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

function startHost(env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", MAIN],
      { env: { ...process.env, HOST_TOKEN: "x".repeat(32), HOST_PORT: "0", ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => resolve({ code: typeof error?.code === "number" ? error.code : 0, stderr: stderr.trim() }),
    );
  });
}

test("an unknown GUESTHOUSE_ACCEL is one line naming the variable and its values", async () => {
  const r = await startHost({ GUESTHOUSE_DATA: await mkdtemp(join(tmpdir(), "gh-main-")), GUESTHOUSE_ACCEL: "fast" });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "host service: bad environment: GUESTHOUSE_ACCEL: GUESTHOUSE_ACCEL must be auto, kvm or tcg");
});

test("a QEMU that is missing is named, with the command that installs it", async () => {
  const r = await startHost({ GUESTHOUSE_DATA: await mkdtemp(join(tmpdir(), "gh-main-")), QEMU_BINARY: "/nonexistent/qemu-system-x86_64" });
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    "host service: QEMU is missing: '/nonexistent/qemu-system-x86_64' was not found (apt-get install qemu-system-x86 qemu-utils)",
  );
});
