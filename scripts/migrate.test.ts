// The container's start (docker-compose.yml runs scripts/migrate.ts): a short ADMIN_PASSWORD stops
// it with a clear message before any database is touched.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./migrate.ts", import.meta.url));

test("a first-admin password under 12 characters is refused before the database is reached", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", script], {
    // Nothing listens on port 9: reaching for the database would fail with a connection error instead.
    env: { ...process.env, DATABASE_URL: "postgresql://x:y@127.0.0.1:9/none", HOST_TOKEN: "t".repeat(32), ADMIN_PASSWORD: "short-pw" },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /ADMIN_PASSWORD is not acceptable: Use at least 12 characters/);
});
