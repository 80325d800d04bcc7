// Each test file gets its own database on the server named by DATABASE_URL, migrated from
// prisma/migrations like production, and dropped afterwards (no shared seed data between tests).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type Db } from "./client.ts";
import { applyMigrations } from "./migrations.ts";

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(baseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(baseUrl, "postgres") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(baseUrl = process.env.DATABASE_URL): Promise<TestDatabase> {
  if (!baseUrl) throw new Error("DATABASE_URL is not set: run the DB tests through `npm test` (or `npm run test:db`)");
  const name = `gh_test_${randomBytes(5).toString("hex")}`;
  await admin(baseUrl, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = withDatabase(baseUrl, name);
  await applyMigrations(url);
  const db = createDb(url);
  return {
    url,
    db,
    async drop() {
      await db.$disconnect();
      await admin(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));
    },
  };
}
