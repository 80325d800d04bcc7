// Runs before anything TypeScript: makes sure npm dependencies are installed, so that
// `npm run up` and `npm test` work on a fresh clone. Plain JS because tsx is not there yet.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const [major] = process.versions.node.split(".").map(Number);
if (major < 20) {
  console.error(`Guesthouse needs Node.js 20 or newer; this is ${process.version}. Install a newer Node.js and try again.`);
  process.exit(1);
}
const stamp = "node_modules/.package-lock.json";
const stale = !existsSync(stamp) || statSync("package-lock.json").mtimeMs > statSync(stamp).mtimeMs;
if (stale) {
  console.log("Installing npm dependencies (npm ci)…");
  try {
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { stdio: "inherit" });
  } catch {
    console.error("npm ci failed (see above). Check your network access to the npm registry and run 'npm ci' again.");
    process.exit(1);
  }
}

// The Prisma client is generated code (not committed): regenerate when the schema is newer.
// The CLI would try to download a native engine that `generate` does not need; pointing it at
// any existing file skips that (docs/decisions/0002-offline-migrations.md).
const client = "packages/db/src/generated/client.ts";
if (!existsSync(client) || statSync("prisma/schema.prisma").mtimeMs > statSync(client).mtimeMs) {
  execFileSync(process.execPath, ["node_modules/prisma/build/index.js", "generate"], {
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
}
