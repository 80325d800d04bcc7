// Usage: tsx packages/images/src/cli.ts [--data DIR]
// Builds the demo/test guest images into DIR/images (default: $GUESTHOUSE_DATA or <repo>/.data).
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureImages } from "./build.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

function defaultDataDir(): string {
  const fromEnv = process.env.GUESTHOUSE_DATA;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : `${repoRoot}.data`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { data: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: false,
  });
  if (values.help === true) {
    console.log("usage: tsx packages/images/src/cli.ts [--data DIR]");
    return 0;
  }
  const dataDir = values.data ?? defaultDataDir();
  const started = Date.now();
  const log = (line: string): void => {
    console.log(`[images +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
  };
  log(`data folder: ${dataDir}`);
  const manifest = await ensureImages({ dataDir, log });
  log("ready:");
  console.log(JSON.stringify(manifest, null, 2));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`images: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
