import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readMigrationList, applyMigrations } from "./migrations.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";
import { ensureFirstAdmin, seedBuiltInRoles } from "./seed.ts";
import { verifyPassword } from "./password.ts";
import { BUILT_IN_ROLES } from "@guesthouse/shared/permissions";

describe("database set-up on a real PostgreSQL server", () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
  });
  after(async () => {
    await t.drop();
  });

  test("every migration is recorded as `prisma migrate deploy` would, and a second run applies nothing", async () => {
    const list = await readMigrationList();
    const rows = await t.db.$queryRaw<
      { migration_name: string; finished_at: Date | null }[]
    >`SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`;
    assert.deepEqual(
      rows.map((r) => r.migration_name),
      list.migrationDirectories.map((d) => d.path),
    );
    assert.ok(rows.every((r) => r.finished_at !== null));
    assert.deepEqual(await applyMigrations(t.url), []);
  });

  test("the first start creates one Administrator with an argon2id password; later starts create none", async () => {
    await seedBuiltInRoles(t.db);
    await seedBuiltInRoles(t.db); // idempotent
    assert.equal(await t.db.role.count({ where: { builtIn: true } }), Object.keys(BUILT_IN_ROLES).length, "each built-in role once");
    const first = await ensureFirstAdmin(t.db, {});
    assert.ok(first);
    assert.equal(first.generated, true);
    assert.ok(first.password.length >= 20);
    const user = await t.db.user.findUniqueOrThrow({ where: { email: first.email }, include: { grants: { include: { role: true } } } });
    assert.match(user.passwordHash, /^\$argon2id\$/);
    assert.equal(await verifyPassword(user.passwordHash, first.password), true);
    assert.equal(await verifyPassword(user.passwordHash, "not the password"), false);
    assert.deepEqual(
      user.grants.map((g) => [g.scope, g.role.name]),
      [["global", "Administrator"]],
    );
    assert.equal(await ensureFirstAdmin(t.db, { password: "something-else-123" }), null);
    assert.equal(await t.db.user.count(), 1);
  });

  test("a first administrator's password shorter than 12 characters is refused, and no user is made", async () => {
    const fresh = await createTestDatabase();
    try {
      await seedBuiltInRoles(fresh.db);
      await assert.rejects(
        ensureFirstAdmin(fresh.db, { password: "short-pw" }),
        /ADMIN_PASSWORD is not acceptable: Use at least 12 characters/,
      );
      assert.equal(await fresh.db.user.count(), 0);
    } finally {
      await fresh.drop();
    }
  });

  test("VM names are unique across the installation", async () => {
    const host = await t.db.host.create({ data: { name: "h1", url: "http://127.0.0.1:1", tokenHash: "x" } });
    await t.db.vm.create({ data: { name: "web1", hostId: host.id } });
    await assert.rejects(t.db.vm.create({ data: { name: "web1", hostId: host.id } }), /Unique constraint/);
  });
});
