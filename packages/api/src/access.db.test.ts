import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createCaller } from "./root.ts";
import { createContextInner } from "./context.ts";
import { createHostGateway } from "./host-gateway.ts";

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
});
after(async () => t.drop());

test("the last administrator grant cannot be revoked, so nobody locks everyone out", async () => {
  const role = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  const admin = await t.db.user.create({ data: { email: "admin@test.local", name: "A", passwordHash: "!" } });
  const own = await t.db.accessGrant.create({ data: { roleId: role.id, userId: admin.id, scope: "global" } });
  const session = await t.db.session.create({ data: { tokenHash: "t", userId: admin.id, expiresAt: new Date(Date.now() + 60_000) } });
  const caller = createCaller(
    createContextInner({
      db: t.db,
      hosts: createHostGateway(t.db, "-"),
      ip: "test",
      secureCookies: false,
      user: { id: admin.id, email: admin.email, name: "A", sessionId: session.id },
    }),
  );
  await assert.rejects(
    caller.access.revoke({ grantId: own.id }),
    (e: TRPCError) => e.code === "CONFLICT" && /last administrator grant/.test(e.message),
  );
  assert.equal(await t.db.accessGrant.count({ where: { id: own.id } }), 1, "the grant is still there");

  const second = await t.db.user.create({ data: { email: "second@test.local", name: "B", passwordHash: "!" } });
  await caller.access.grant({ roleId: role.id, userId: second.id });
  await caller.access.revoke({ grantId: own.id });
  assert.equal(await t.db.accessGrant.count({ where: { id: own.id } }), 0);
});
