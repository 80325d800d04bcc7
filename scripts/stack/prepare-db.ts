// Brings a database to the state the console expects: migrated, built-in roles, the host row and
// a first administrator. Used by `npm run up`, `npm test` and the container's start (scripts/migrate.ts).
import { createDb, ensureFirstAdmin, ensureLocalHost, seedBuiltInRoles, type Db, type FirstAdmin } from "@guesthouse/db";
import { applyMigrations } from "@guesthouse/db/migrations";

export interface PreparedDb {
  db: Db;
  hostId: string;
  admin: FirstAdmin;
  adminEmail: string;
}

export async function prepareDatabase(
  url: string,
  opts: { hostUrl: string; hostToken: string; adminEmail?: string; adminPassword?: string; log: (l: string) => void },
): Promise<PreparedDb> {
  const applied = await applyMigrations(url);
  if (applied.length > 0) opts.log(`Applied migrations: ${applied.join(", ")}`);
  const db = createDb(url);
  await seedBuiltInRoles(db);
  const hostId = await ensureLocalHost(db, { url: opts.hostUrl, token: opts.hostToken });
  const admin = await ensureFirstAdmin(db, { email: opts.adminEmail, password: opts.adminPassword });
  const first = await db.user.findFirst({ orderBy: { createdAt: "asc" }, select: { email: true } });
  return { db, hostId, admin, adminEmail: admin?.email ?? first?.email ?? "" };
}
