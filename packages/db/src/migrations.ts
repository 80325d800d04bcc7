// Applies prisma/migrations the way `prisma migrate deploy` does (same folder, same _prisma_migrations
// table), but through the WebAssembly engine so it works without downloading anything.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openSchemaEngine } from "./schema-engine.ts";

export const migrationsDir = fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));
export const schemaPath = fileURLToPath(new URL("../../../prisma/schema.prisma", import.meta.url));

export async function readMigrationList(baseDir = migrationsDir) {
  const entries = await readdir(baseDir, { withFileTypes: true });
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const lockPath = path.join(baseDir, "migration_lock.toml");
  const lockContent = await readFile(lockPath, "utf8").catch(() => null);
  return {
    baseDir,
    lockfile: { path: "migration_lock.toml", content: lockContent },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      dirs.map(async (dir) => {
        const content = await readFile(path.join(baseDir, dir, "migration.sql"), "utf8");
        return { path: dir, migrationFile: { path: "migration.sql", content: { tag: "ok" as const, value: content } } };
      }),
    ),
  };
}

const noFilter = { externalTables: [], externalEnums: [] };

/** Brings the database at `url` up to date; returns the names of the migrations it applied. */
export async function applyMigrations(url: string): Promise<string[]> {
  const engine = await openSchemaEngine(url);
  try {
    const out = await engine.applyMigrations({ migrationsList: await readMigrationList(), filters: noFilter });
    return out.appliedMigrationNames;
  } finally {
    engine.free();
  }
}
