// A second, real host service joins the console with a one-time token, reports its capacity,
// takes a VM that placement puts on it (the guest boots and answers on its serial console), goes
// unreachable when it is killed (its VM unknown, never stopped), and is back when it restarts.
// The console's API is served here by the tRPC standalone adapter over real HTTP (the same router
// the console serves at /api/trpc); the host makes no networks, so it needs no netns.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { appRouter, createCaller, createContextInner, createHostGateway, deriveHostCredential } from "@guesthouse/api";
import { createHostClient } from "@guesthouse/host-client";
import { ensureImages, TINY_PROMPT } from "@guesthouse/images";
import { exited, freePort, IMAGES, until } from "./crash-host.test-support.ts";
import { startJoiningHost } from "./joining-host.test-support.ts";
import { startHostHeartbeat } from "./host-heartbeat.server.ts";
import { startStateSync } from "./state-sync.server.ts";

const SECRET = "second-host-console-secret-0123456789";
const quiet = pino({ level: "silent" });
let t: TestDatabase;
let consoleApi: ReturnType<typeof createHTTPServer>;
let consoleUrl = "";
let dataDir = "";
let port = 0;
let child: ChildProcess | undefined;
let stops: (() => void)[] = [];

const startHost = (join: string) => startJoiningHost({ dataDir, port, name: "second", join });

before(async () => {
  await ensureImages({ dataDir: IMAGES });
  t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
  const hosts = createHostGateway(t.db, SECRET);
  consoleApi = createHTTPServer({
    router: appRouter,
    basePath: "/api/trpc/",
    createContext: ({ req }) =>
      createContextInner({ db: t.db, hosts, ip: req.socket.remoteAddress ?? "", secureCookies: false, user: null }),
  });
  await new Promise<void>((ok) => consoleApi.listen(0, "127.0.0.1", ok));
  consoleUrl = `http://127.0.0.1:${(consoleApi.address() as AddressInfo).port}`;
  dataDir = await mkdtemp(join(tmpdir(), "gh-second-host-"));
  port = await freePort();
});

after(async () => {
  for (const stop of stops) stop();
  const host = await t.db.host.findUnique({ where: { name: "second" } });
  if (host && child && child.exitCode === null) {
    const client = createHostClient({ url: host.url, token: deriveHostCredential(SECRET, host.id) });
    for (const vm of await client.vm.list.query().catch(() => [])) {
      if (vm.pid) await client.vm.powerOff.mutate({ id: vm.id }).catch(() => undefined);
      await client.vm.delete.mutate({ id: vm.id, deleteDisks: true }).catch(() => undefined);
    }
  }
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    await exited(child);
  }
  consoleApi.close();
  await rm(dataDir, { recursive: true, force: true });
  await t.drop();
});

test("a second host joins with a token, takes a placed VM that boots, goes unreachable when killed, and comes back", async () => {
  const adminRow = await t.db.user.create({ data: { email: "hosts@test.local", name: "Hosts", passwordHash: "!" } });
  const role = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  await t.db.accessGrant.create({ data: { roleId: role.id, userId: adminRow.id, scope: "global" } });
  const session = await t.db.session.create({
    data: { tokenHash: "hosts", userId: adminRow.id, expiresAt: new Date(Date.now() + 3_600_000) },
  });
  const gateway = createHostGateway(t.db, SECRET);
  const user = { id: adminRow.id, email: adminRow.email, name: adminRow.name, sessionId: session.id };
  const admin = createCaller(createContextInner({ db: t.db, hosts: gateway, ip: "test", secureCookies: false, user }));

  // Registration.
  const { token } = await admin.host.createJoinToken({});
  child = startHost(`${consoleUrl}#${token}`);
  const row = await until(
    "the host to register",
    async () => (await t.db.host.findUnique({ where: { name: "second" } })) ?? undefined,
    60_000,
  );
  assert.equal(row.url, `http://127.0.0.1:${port}`);
  const credential = deriveHostCredential(SECRET, row.id);
  const file = join(dataDir, "host-credential");
  await until("the credential to be stored", () => stat(file).catch(() => undefined));
  assert.equal((await stat(file)).mode & 0o777, 0o600, "the credential file is the service's alone");
  assert.equal((await readFile(file, "utf8")).trim(), credential);
  const byCredential = createHostClient({ url: row.url, token: credential });
  await until("the host API to answer its credential", () => byCredential.host.info.query(), 60_000);
  const bySecret = createHostClient({ url: row.url, token: SECRET });
  await assert.rejects(bySecret.host.info.query(), /host token/, "the console's own secret opens nothing on a joined host");

  // Heartbeats and state sync, as the console runs them.
  const sync = startStateSync({ db: t.db, hosts: gateway, log: quiet, retryMs: 200, reconcileEveryMs: 3_600_000, discoverEveryMs: 200 });
  const beat = startHostHeartbeat({
    db: t.db,
    hosts: gateway,
    log: quiet,
    everyMs: 300,
    unreachableAfterMs: 2000,
    onRecovered: sync.resync,
  });
  stops = [beat.stop, sync.stop];
  const online = await until("the host to report its capacity", async () => {
    const [h] = (await admin.host.list()).filter((x) => x.name === "second");
    return h?.state === "online" && h;
  });
  assert.ok(online.cores >= 1 && online.memoryBytes > 0n && online.memoryFreeBytes > 0n && online.diskFreeBytes > 0n);
  assert.ok(online.cpuModels.length > 0, "the CPU models it runs");

  // Placement: it is the only host, so the VM goes there, and really boots.
  const { tinyLinux } = await ensureImages({ dataDir: IMAGES });
  const template = await t.db.template.create({
    data: {
      name: "Tiny Linux",
      memoryMiB: 128,
      hostId: row.id,
      kernelBoot: { kernel: tinyLinux.kernel, initrd: tinyLinux.initrd, cmdline: tinyLinux.cmdline },
    },
  });
  assert.deepEqual(await admin.host.placement({ memoryMiB: 128 }), { ok: true, hostId: row.id, hostName: "second" });
  const { id: vmId } = await admin.vm.create({
    name: "placed",
    source: { kind: "template", templateId: template.id },
    memoryMiB: 128,
    nics: [],
  });
  const dbState = async () => (await t.db.vm.findUniqueOrThrow({ where: { id: vmId } })).state;
  assert.equal((await t.db.vm.findUniqueOrThrow({ where: { id: vmId } })).hostId, row.id);
  await admin.vm.start({ vmId });
  await until("the VM to run", async () => (await dbState()) === "running", 60_000);
  const serial = async () => Buffer.from((await byCredential.serial.read.query({ id: vmId, maxBytes: 65536 })).base64, "base64").toString();
  await until("the guest's shell prompt on the second host", async () => (await serial()).includes(TINY_PROMPT), 120_000);

  // Killed: unreachable, its VM unknown, never stopped.
  child.kill("SIGKILL");
  await exited(child);
  await until(
    "the host to be unreachable",
    async () => (await t.db.host.findUniqueOrThrow({ where: { id: row.id } })).state === "unreachable",
    30_000,
  );
  assert.equal(await dbState(), "unknown");

  // Back: same data folder and credential (the join token is not needed, and would be refused now).
  child = startHost(`${consoleUrl}#${token}`);
  await until(
    "the host to be online again",
    async () => (await t.db.host.findUniqueOrThrow({ where: { id: row.id } })).state === "online",
    60_000,
  );
  await until("the VM to be running again", async () => (await dbState()) === "running", 30_000);
  const nonce = Math.floor(Math.random() * 1e6);
  await byCredential.serial.write.mutate({ id: vmId, data: `echo back-$((${nonce}+1))\n`, encoding: "utf8" });
  await until("the guest to answer after the outage", async () => (await serial()).includes(`back-${nonce + 1}`), 30_000);
});
