// The console's database: the server named by DATABASE_URL, or an embedded one under the data folder.
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "@guesthouse/db/embedded-postgres";
import { StackError, type StackEnv } from "./env.ts";

export interface Database {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function openDatabase(env: StackEnv, pgPassword: string, log: (l: string) => void): Promise<Database> {
  if (env.DATABASE_URL) {
    await assertReachable(env.DATABASE_URL);
    return { url: env.DATABASE_URL, embedded: false, stop: async () => {} };
  }
  try {
    const server = await startEmbeddedPostgres({ dataDir: env.dataDir, port: env.GUESTHOUSE_PG_PORT, password: pgPassword, log });
    return { url: server.url, embedded: true, stop: server.stop };
  } catch (error) {
    if (error instanceof StackError) throw error;
    const hint = `see ${path.join(env.dataDir, "postgres")}; if port ${env.GUESTHOUSE_PG_PORT} is in use, set GUESTHOUSE_PG_PORT`;
    throw new StackError(`The embedded PostgreSQL did not start (${firstLine(error)}): ${hint}.`);
  }
}

async function assertReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    throw new StackError(
      `Cannot use DATABASE_URL (${firstLine(error)}): check the server is running and the URL, user and password are right.`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0] ?? "unknown error";
}
