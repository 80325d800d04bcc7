// Joining a console over https while it has only its self-signed certificate (ADR 0034). The
// console's API is served over real TLS with the certificate the console makes for itself
// (tls.server.ts), by the tRPC handler its /api/trpc endpoint uses; the host service is real and
// starts as a new machine starts it. The Hosts page's join value pins the certificate: with it the
// host registers; without it, or with another certificate's pin, it refuses, and the token is not
// spent (with a wrong pin nothing at all reaches the console).
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { appRouter, createCaller, createContextInner, createHostGateway, deriveHostCredential } from "@guesthouse/api";
import { createHostClient } from "@guesthouse/host-client";
import { formatJoinValue } from "@guesthouse/shared/join-value";
import { exited, freePort, until } from "./crash-host.test-support.ts";
import { startJoiningHost } from "./joining-host.test-support.ts";
import { loadTls, type TlsMaterial } from "./tls.server.ts";

const SECRET = "join-https-console-secret-0123456789";
let t: TestDatabase;
let tls: TlsMaterial;
let server: Server;
let consoleUrl = "";
let scratch = "";
let admin: ReturnType<typeof createCaller>;
const children: ChildProcess[] = [];

before(async () => {
  t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
  scratch = await mkdtemp(join(tmpdir(), "gh-join-https-"));
  tls = await loadTls({ dataDir: join(scratch, "console") });
  assert.equal(tls.selfSigned, true);
  const hosts = createHostGateway(t.db, SECRET);
  const context = { db: t.db, hosts, secureCookies: true, consoleCertSha256: tls.fingerprint256 };
  server = createServer(
    { cert: tls.cert, key: tls.key },
    createHTTPHandler({
      router: appRouter,
      basePath: "/api/trpc/",
      createContext: ({ req }) => createContextInner({ ...context, ip: req.socket.remoteAddress ?? "", user: null }),
    }),
  );
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  consoleUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const row = await t.db.user.create({ data: { email: "join@test.local", name: "Join", passwordHash: "!" } });
  const role = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  await t.db.accessGrant.create({ data: { roleId: role.id, userId: row.id, scope: "global" } });
  const session = await t.db.session.create({ data: { tokenHash: "join", userId: row.id, expiresAt: new Date(Date.now() + 3_600_000) } });
  admin = createCaller(createContextInner({ ...context, ip: "test", user: { ...row, sessionId: session.id } }));
});

after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited(child);
    }
  server.close();
  await rm(scratch, { recursive: true, force: true });
  await t.drop();
});

/** A host service that is expected to refuse to join: its exit code and what it printed. */
async function refusedJoin(joinValue: string): Promise<{ code: unknown; stderr: string }> {
  const child = startJoiningHost({
    dataDir: await mkdtemp(join(scratch, "host-")),
    port: await freePort(),
    name: "refused",
    join: joinValue,
    captureStderr: true,
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await exited(child);
  return { code, stderr };
}

const spent = async (tokenId: string) => (await t.db.hostJoinToken.findUniqueOrThrow({ where: { id: tokenId } })).usedAt !== null;

test("the join token comes with the console certificate's fingerprint, for the Hosts page to pin", async () => {
  const made = await admin.host.createJoinToken({});
  assert.equal(made.consoleCertSha256, tls.fingerprint256);
  assert.match(formatJoinValue(consoleUrl, made.token, made.consoleCertSha256), /#ghj_[\w-]+;sha256=[0-9a-f]{64}$/);
});

test("without a pin a self-signed console is not trusted: the host refuses to join and the token stays unspent", async () => {
  const { id, token } = await admin.host.createJoinToken({});
  const { code, stderr } = await refusedJoin(`${consoleUrl}#${token}`);
  assert.notEqual(code, 0);
  assert.match(stderr, /cannot reach the console at https:\/\/127\.0\.0\.1:\d+ to join/);
  assert.equal(await spent(id), false);
  assert.equal(await t.db.host.count(), 0);
});

test("a pin of another certificate is refused before anything is sent", async () => {
  const { id, token } = await admin.host.createJoinToken({});
  const other = await loadTls({ dataDir: join(scratch, "other") });
  const { code, stderr } = await refusedJoin(formatJoinValue(consoleUrl, token, other.fingerprint256));
  assert.notEqual(code, 0);
  assert.match(stderr, /is not the one the join value names: nothing was sent/);
  assert.equal(await spent(id), false);
  assert.equal(await t.db.auditEvent.count({ where: { action: "host.join" } }), 0, "the console heard no join request at all");
  assert.equal(await t.db.host.count(), 0);
});

test("with the pinned value from the Hosts page the host registers over TLS and answers its own credential", async () => {
  const made = await admin.host.createJoinToken({});
  const dataDir = await mkdtemp(join(scratch, "host-"));
  const port = await freePort();
  const child = startJoiningHost({ dataDir, port, name: "pinned", join: formatJoinValue(consoleUrl, made.token, made.consoleCertSha256) });
  children.push(child);
  const row = await until(
    "the host to register",
    async () => (await t.db.host.findUnique({ where: { name: "pinned" } })) ?? undefined,
    60_000,
  );
  const credential = deriveHostCredential(SECRET, row.id);
  // The console records the host before the host has stored what it was given: wait for the file.
  const stored = await until("the credential to be stored", () => readFile(join(dataDir, "host-credential"), "utf8"), 30_000);
  assert.equal(stored.trim(), credential);
  const info = await until("the host API to answer", () => createHostClient({ url: row.url, token: credential }).host.info.query(), 60_000);
  assert.ok(info.cores >= 1);
  assert.equal(await spent(made.id), true);
});
