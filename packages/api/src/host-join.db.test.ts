// Registering a host with a one-time join token (ADR 0034): the exchange gives the new host a
// credential the console can derive again, stores only hashes, and refuses replayed, expired and
// forged tokens with a reason that says which, leaving the hosts as they were.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { apiWorld, type ApiWorld } from "./api-world.test-support.ts";
import { createHostGateway } from "./host-gateway.ts";
import { credentialFor, deriveHostCredential, sha256 } from "./host-credential.ts";

let w: ApiWorld;
let admin: Awaited<ReturnType<ApiWorld["makeUser"]>>;
let anonymous: Awaited<ReturnType<ApiWorld["makeUser"]>>["api"];

before(async () => {
  w = await apiWorld();
  admin = await w.makeUser("admin", [{ role: "Administrator" }]);
  // host.join is public: the new host has no account. Any caller will do; it is not signed in to anything it uses.
  anonymous = (await w.makeUser("nobody")).api;
});
after(() => w.t.drop());

async function rejection(p: Promise<unknown>): Promise<TRPCError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TRPCError, "the call was refused");
  return error;
}

const hostCount = () => w.t.db.host.count();

test("a join token is shown once, stored hashed, and registers exactly one host with its own credential", async () => {
  const made = await admin.api.host.createJoinToken({});
  assert.match(made.token, /^ghj_[A-Za-z0-9_-]{43}$/);
  assert.ok(made.expiresAt.getTime() > Date.now() + 59 * 60_000, "it lasts an hour by default");
  const stored = await w.t.db.hostJoinToken.findUniqueOrThrow({ where: { id: made.id } });
  assert.equal(stored.tokenHash, sha256(made.token));
  assert.ok(!JSON.stringify(stored).includes(made.token), "the token itself is not in the DB");

  const joined = await anonymous.host.join({ token: made.token, name: "second", url: "http://10.0.0.2:3001/" });
  const row = await w.t.db.host.findUniqueOrThrow({ where: { id: joined.hostId } });
  assert.equal(row.name, "second");
  assert.equal(row.url, "http://10.0.0.2:3001", "the trailing slash is dropped");
  assert.equal(row.tokenHash, sha256(joined.credential), "only the credential's hash is kept");
  assert.equal(joined.credential, deriveHostCredential("-", joined.hostId), "the console can derive it again from its own secret");
  assert.equal(await createHostGateway(w.t.db, "-").credential(joined.hostId), joined.credential, "and presents it to that host");
  assert.notEqual(joined.credential, "-", "the console's own secret is not what the joined host accepts");
  const local = await w.t.db.host.findUniqueOrThrow({ where: { id: w.hostId } });
  assert.equal(credentialFor("-", local), "-", "a host registered with HOST_TOKEN keeps being called with it");

  const spent = await w.t.db.hostJoinToken.findUniqueOrThrow({ where: { id: made.id } });
  assert.ok(spent.usedAt);
  assert.equal(spent.hostName, "second");
  const events = await w.t.db.auditEvent.findMany({ where: { action: { in: ["host.joinToken.create", "host.join"] } } });
  assert.deepEqual(events.map((e) => [e.action, e.outcome]).sort(), [
    ["host.join", "success"],
    ["host.joinToken.create", "success"],
  ]);
  assert.ok(
    !JSON.stringify(events).includes(made.token) && !JSON.stringify(events).includes(joined.credential),
    "no secret in the audit log",
  );
});

test("a replayed token is refused as used, and no second host appears", async () => {
  const { token } = await admin.api.host.createJoinToken({});
  await anonymous.host.join({ token, name: "replay-a", url: "http://10.0.0.3:3001" });
  const before = await hostCount();
  const err = await rejection(anonymous.host.join({ token, name: "replay-b", url: "http://10.0.0.4:3001" }));
  assert.equal(err.code, "CONFLICT");
  assert.match(err.message, /already used/);
  assert.equal(await hostCount(), before);
});

test("two hosts racing with one token get one host between them", async () => {
  const { token } = await admin.api.host.createJoinToken({});
  const before = await hostCount();
  const results = await Promise.allSettled([
    anonymous.host.join({ token, name: "race-a", url: "http://10.0.0.5:3001" }),
    anonymous.host.join({ token, name: "race-b", url: "http://10.0.0.6:3001" }),
  ]);
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
  assert.equal(await hostCount(), before + 1);
});

test("an expired token is refused as expired, and stays unspent", async () => {
  const { id, token } = await admin.api.host.createJoinToken({ ttlMinutes: 1 });
  await w.t.db.hostJoinToken.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
  const before = await hostCount();
  const err = await rejection(anonymous.host.join({ token, name: "late", url: "http://10.0.0.7:3001" }));
  assert.equal(err.code, "FORBIDDEN");
  assert.match(err.message, /expired at/);
  assert.equal(await hostCount(), before);
  assert.equal((await w.t.db.hostJoinToken.findUniqueOrThrow({ where: { id } })).usedAt, null);
});

test("a forged token is refused as not this console's, and the refusal is audited", async () => {
  const before = await hostCount();
  const err = await rejection(anonymous.host.join({ token: `ghj_${"A".repeat(43)}`, name: "forged", url: "http://10.0.0.8:3001" }));
  assert.equal(err.code, "UNAUTHORIZED");
  assert.match(err.message, /not made by this console/);
  assert.equal(await hostCount(), before);
  const denied = await w.t.db.auditEvent.findFirst({ where: { action: "host.join", outcome: "denied" }, orderBy: { at: "desc" } });
  assert.deepEqual((denied?.detail as { reason?: string }).reason, "forged");
});

test("a token for a name or address already registered is refused and stays usable", async () => {
  const { id, token } = await admin.api.host.createJoinToken({});
  const err = await rejection(anonymous.host.join({ token, name: "local", url: "http://10.0.0.9:3001" }));
  assert.equal(err.code, "CONFLICT");
  assert.match(err.message, /^name: a host named 'local'/);
  assert.equal((await w.t.db.hostJoinToken.findUniqueOrThrow({ where: { id } })).usedAt, null);
  await anonymous.host.join({ token, name: "renamed", url: "http://10.0.0.9:3001" });
});

test("a malformed token is bad input naming the field", async () => {
  const err = await rejection(anonymous.host.join({ token: "not-a-token", name: "x", url: "http://10.0.0.10:3001" }));
  assert.equal(err.code, "BAD_REQUEST");
  assert.match(err.message, /token/);
});

test("join tokens are listed with what became of each, and a revoked one is refused, saying so", async () => {
  const waiting = await admin.api.host.createJoinToken({});
  const toRevoke = await admin.api.host.createJoinToken({});
  const used = await admin.api.host.createJoinToken({});
  await anonymous.host.join({ token: used.token, name: "listed-used", url: "http://10.0.0.91:3001" });

  await admin.api.host.revokeJoinToken({ tokenId: toRevoke.id });
  const before = await hostCount();
  const refused = await rejection(anonymous.host.join({ token: toRevoke.token, name: "late", url: "http://10.0.0.92:3001" }));
  assert.equal(refused.code, "FORBIDDEN");
  assert.match(refused.message, /revoked/);
  assert.equal(await hostCount(), before, "no host was made");

  const listed = await admin.api.host.joinTokens();
  const byId = new Map(listed.map((t) => [t.id, t]));
  assert.equal(byId.get(waiting.id)?.status, "waiting");
  assert.equal(byId.get(toRevoke.id)?.status, "revoked");
  assert.equal(byId.get(used.id)?.status, "used");
  assert.equal(byId.get(used.id)?.hostName, "listed-used");
  assert.equal(byId.get(waiting.id)?.createdBy, admin.email);
  assert.ok(!JSON.stringify(listed).includes(waiting.token), "the list never shows a token itself");

  const usedRevoke = await rejection(admin.api.host.revokeJoinToken({ tokenId: used.id }));
  assert.equal(usedRevoke.code, "CONFLICT");
  assert.match(usedRevoke.message, /already used by host 'listed-used'/);
  assert.equal((await rejection(admin.api.host.revokeJoinToken({ tokenId: "no-such-token" }))).code, "NOT_FOUND");
  const audited = await w.t.db.auditEvent.findMany({ where: { action: "host.joinToken.revoke" } });
  assert.deepEqual(
    audited.map((e) => [e.actorName, (e.detail as { tokenId: string }).tokenId]),
    [[admin.email, toRevoke.id]],
  );
});
