// `npm run db:diff -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql from the change
// between the schema of the last migration (prisma/migrations/schema.snapshot.prisma) and prisma/schema.prisma.
// Diffing two schema files needs no database and no shadow database.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openSchemaEngine } from "../src/schema-engine.ts";
import { migrationsDir, schemaPath } from "../src/migrations.ts";
import { startEmbeddedPostgres } from "../src/embedded-postgres.ts";

const name = (process.argv[2] ?? "").trim();
if (!/^[a-z0-9_]{1,60}$/.test(name)) {
  console.error("usage: npm run db:diff -- <name>   (name: lower-case letters, digits and _)");
  process.exit(2);
}
const snapshotPath = path.join(migrationsDir, "schema.snapshot.prisma");
const next = await readFile(schemaPath, "utf8");
const previous = await readFile(snapshotPath, "utf8").catch(() => null);

// The engine insists on a live connection even for a file-to-file diff, so give it a throwaway server.
const scratch = await mkdtemp(path.join(tmpdir(), "gh-diff-"));
await chmod(scratch, 0o755);
const pgServer = await startEmbeddedPostgres({ dataDir: scratch, port: 54390 + Math.floor(Math.random() * 500), password: "diff" });
const engine = await openSchemaEngine(pgServer.url);
const target = (content: string) => ({ tag: "schemaDatamodel" as const, files: [{ path: "schema.prisma", content }] });
const result = await engine.diff({
  from: previous === null ? { tag: "empty" } : target(previous),
  to: target(next),
  script: true,
  exitCode: null,
  filters: { externalTables: [], externalEnums: [] },
});
engine.free();
await pgServer.stop();
await rm(scratch, { recursive: true, force: true });
const sql = result.stdout ?? "";
if (!sql.trim() || /^-- This is an empty migration\.\s*$/.test(sql.trim())) {
  console.log("No schema change: nothing written.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.join(migrationsDir, `${stamp}_${name}`);
await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, "migration.sql"), sql);
await writeFile(snapshotPath, next);
await writeFile(path.join(migrationsDir, "migration_lock.toml"), 'provider = "postgresql"\n');
console.log(`Wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
