// Maintenance mode through the console's API, with three real host services, each in its own
// network namespace (veth pairs the test makes and always deletes) and the console's real job
// queue (pg-boss), heartbeat and state sync. The two targets report small RAM figures
// (GUESTHOUSE_TEST_MEMORY_MIB) that force a split: naive "most free RAM" would put every guest on
// the larger one. Three tiny guests move live onto the two targets without overfilling either,
// each keeping a shell variable read over serial after; a guest no target has room for is named
// with its reason and keeps running at the source; leaving maintenance moves the three back.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createCaller, createContextInner, createHostGateway } from "@guesthouse/api";
import type { HostClient } from "@guesthouse/host-client";
import { ensureImages, TINY_PROMPT } from "@guesthouse/images";
import { deleteAllTestNetns, inNetns, makeNetns, vethBetween } from "../../../host/src/net/test-netns.test-support.ts";
import { freePort, HostProcess, IMAGES, TOKEN, until } from "./crash-host.test-support.ts";
import { startHostHeartbeat } from "./host-heartbeat.server.ts";
import { startJobs, type Jobs } from "./jobs.server.ts";
import { startStateSync } from "./state-sync.server.ts";

const quiet = pino({ level: "silent" });
/** RAM each host reports (MiB): the source has room for all; a for two 128 MiB guests, b for one. */
const CAPACITY = { src: 2048, a: 300, b: 200 } as const;

let t: TestDatabase;
let consoleData = "";
const hostDirs: string[] = [];
const procs = new Map<string, HostProcess>();
const ids: Record<string, string> = {};
let stops: (() => void)[] = [];
let jobs: Jobs;
let admin: ReturnType<typeof createCaller>;
let templateId = "";

async function openHost(name: keyof typeof CAPACITY, ns: string, addr: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `gh-evac-${name}-`));
  hostDirs.push(dir);
  const proc = new HostProcess(dir, await freePort(), {
    GUESTHOUSE_NETNS: ns,
    HOST_MIGRATION_ADDRESS: addr,
    GUESTHOUSE_DEFAULT_NETWORK: "off",
    GUESTHOUSE_TEST_MEMORY_MIB: String(CAPACITY[name]),
  });
  await proc.start();
  const row = await t.db.host.create({ data: { name, url: proc.url, tokenHash: "registered-with-the-console-token" } });
  ids[name] = row.id;
  procs.set(row.id, proc);
}

before(async () => {
  const { tinyLinux } = await ensureImages({ dataDir: IMAGES });
  t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
  consoleData = await mkdtemp(join(tmpdir(), "gh-evac-console-"));
  // src reaches a on 10.79.1.0/24 and b on 10.79.2.0/24; b reaches src's migration address through its link.
  const [srcNs, aNs, bNs] = [makeNetns("esrc"), makeNetns("ea"), makeNetns("eb")];
  vethBetween({ ns: srcNs, ifname: "miga", cidr: "10.79.1.1/24" }, { ns: aNs, ifname: "mig0", cidr: "10.79.1.2/24" });
  vethBetween({ ns: srcNs, ifname: "migb", cidr: "10.79.2.1/24" }, { ns: bNs, ifname: "mig0", cidr: "10.79.2.2/24" });
  inNetns(bNs, ["ip", "route", "add", "10.79.1.1/32", "via", "10.79.2.1"]);
  await openHost("src", srcNs, "10.79.1.1");
  await openHost("a", aNs, "10.79.1.2");
  await openHost("b", bNs, "10.79.2.2");

  const gateway = createHostGateway(t.db, TOKEN, { dataDir: consoleData });
  const sync = startStateSync({ db: t.db, hosts: gateway, log: quiet, retryMs: 200, reconcileEveryMs: 3_600_000, discoverEveryMs: 200 });
  const beat = startHostHeartbeat({
    db: t.db,
    hosts: gateway,
    log: quiet,
    everyMs: 300,
    unreachableAfterMs: 5000,
    onRecovered: sync.resync,
  });
  stops = [beat.stop, () => sync.stop()];
  jobs = await startJobs({ connectionString: t.url, db: t.db, hosts: gateway, log: quiet });

  const row = await t.db.user.create({ data: { email: "ops@test.local", name: "Ops", passwordHash: "!" } });
  const role = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  await t.db.accessGrant.create({ data: { roleId: role.id, userId: row.id, scope: "global" } });
  const session = await t.db.session.create({ data: { tokenHash: "ops", userId: row.id, expiresAt: new Date(Date.now() + 3_600_000) } });
  const user = { id: row.id, email: row.email, name: row.name, sessionId: session.id };
  admin = createCaller(createContextInner({ db: t.db, hosts: gateway, ip: "test", secureCookies: false, user }));
  const tpl = await t.db.template.create({
    data: {
      name: "Tiny Linux",
      memoryMiB: 128,
      hostId: ids.src!,
      kernelBoot: { kernel: tinyLinux.kernel, initrd: tinyLinux.initrd, cmdline: tinyLinux.cmdline },
    },
  });
  templateId = tpl.id;
  for (const name of Object.keys(CAPACITY)) {
    await until(
      `host ${name} online with its capacity`,
      async () => {
        const h = await t.db.host.findUniqueOrThrow({ where: { id: ids[name]! } });
        return h.state === "online" && h.memoryBytes === BigInt(CAPACITY[name as keyof typeof CAPACITY]) * 1024n * 1024n;
      },
      30_000,
    );
  }
});

after(async () => {
  for (const stop of stops) stop();
  await jobs?.stop();
  for (const p of procs.values()) {
    for (const vm of await p.client.vm.list.query().catch(() => [])) {
      if (vm.pid) await p.client.vm.powerOff.mutate({ id: vm.id }).catch(() => undefined);
      await p.client.vm.delete.mutate({ id: vm.id, deleteDisks: true }).catch(() => undefined);
    }
    await p.stop();
  }
  deleteAllTestNetns();
  for (const d of [...hostDirs, consoleData]) await rm(d, { recursive: true, force: true });
  await t.drop();
});

const client = (hostId: string): HostClient => procs.get(hostId)!.client;
const serialText = async (c: HostClient, id: string) =>
  Buffer.from((await c.serial.read.query({ id, maxBytes: 65536 })).base64, "base64").toString();
async function shell(c: HostClient, id: string, line: string, expect: string): Promise<void> {
  await c.serial.write.mutate({ id, data: `${line}\n`, encoding: "utf8" });
  await until(`'${expect}' on ${id}'s serial console`, async () => (await serialText(c, id)).includes(expect), 30_000);
}
const vmRow = (id: string) => t.db.vm.findUniqueOrThrow({ where: { id } });
const hostVmIds = async (hostId: string) => (await client(hostId).vm.list.query()).map((v) => v.id).sort();

async function runningVm(name: string, memoryMiB: number): Promise<string> {
  const { id } = await admin.vm.create({
    name,
    source: { kind: "template", templateId },
    memoryMiB,
    diskGiB: 1 / 64,
    nics: [],
    hostId: ids.src!,
  });
  await admin.vm.start({ vmId: id });
  await until(`${name} to run`, async () => (await vmRow(id)).state === "running", 60_000);
  await until(`${name}'s shell prompt`, async () => (await serialText(client(ids.src!), id)).includes(TINY_PROMPT), 120_000);
  return id;
}

async function finished(taskId: string) {
  return until(
    "the evacuation task to end",
    async () => {
      const row = await t.db.task.findUniqueOrThrow({ where: { id: taskId } });
      return row.state !== "running" && row;
    },
    300_000,
  );
}

test("maintenance moves three guests onto two targets without overfilling either, names the one that cannot move, and moves them back", async () => {
  const guests: Record<string, string> = {};
  for (const name of ["g1", "g2", "g3"]) {
    guests[name] = await runningVm(name, 128);
    await shell(client(ids.src!), guests[name]!, `GHVAR=${name}-$((6*7)); echo set-$GHVAR`, `set-${name}-42`);
  }
  const big = await runningVm("big", 320); // more than either target has free
  await until("the source's heartbeat to count the four guests", async () => {
    const h = await t.db.host.findUniqueOrThrow({ where: { id: ids.src! } });
    return h.memoryFreeBytes === BigInt(CAPACITY.src - 3 * 128 - 320) * 1024n * 1024n;
  });

  // The confirm dialog's preview: the same planner the evacuation runs.
  const preview = await admin.host.evacuationPreview({ hostId: ids.src! });
  assert.deepEqual(
    preview.refused.map((r) => r.vmName),
    ["big"],
  );
  assert.match(preview.refused[0]!.reason, /no host can take it: 'a' has 300 MiB of RAM free; the VM needs 320 MiB; 'b' has 200 MiB/);
  assert.equal(preview.moves.length, 3);

  const { taskId } = await admin.host.setMaintenance({ hostId: ids.src!, on: true });
  assert.ok(taskId, "an evacuation task");
  // While it runs, the page's view has a row per guest.
  const during = await admin.host.evacuation({ hostId: ids.src! });
  assert.equal(during?.guests.length, 4);
  const parent = await finished(taskId);
  assert.equal(parent.state, "succeeded", `${parent.error} ${JSON.stringify(parent.log)}`);
  assert.equal(parent.progress, 100);

  const view = (await admin.host.evacuation({ hostId: ids.src! }))!;
  assert.deepEqual(view.guests.map((g) => [g.vmName, g.state]).sort(), [
    ["big", "refused"],
    ["g1", "moved"],
    ["g2", "moved"],
    ["g3", "moved"],
  ]);
  assert.equal(view.done, 3);
  assert.equal(view.total, 3);
  assert.ok(
    view.guests.filter((g) => g.state === "moved").every((g) => g.percent === 100 && g.mode === "live" && g.taskId),
    "each moved guest's own live move reached 100%",
  );
  const children = await t.db.task.findMany({ where: { parentId: taskId } });
  assert.deepEqual(
    children.map((c) => [c.kind, c.state]),
    [
      ["vm.migrate", "succeeded"],
      ["vm.migrate", "succeeded"],
      ["vm.migrate", "succeeded"],
    ],
  );

  // No target overfilled: a holds two 128 MiB guests of its 300, b one of its 200.
  const onA = await hostVmIds(ids.a!);
  const onB = await hostVmIds(ids.b!);
  assert.equal(onA.length, 2, `a holds ${onA.length}`);
  assert.equal(onB.length, 1, `b holds ${onB.length}`);
  for (const [name, id] of Object.entries(guests)) {
    const row = await vmRow(id);
    assert.ok(row.hostId === ids.a || row.hostId === ids.b, `${name} is on a target`);
    assert.equal(row.evacuatedFromHostId, ids.src, `${name} remembers where it came from`);
    await shell(client(row.hostId), id, `echo got-$GHVAR`, `got-${name}-42`);
  }

  // The guest that could not move still runs where it was, and says so.
  assert.equal((await vmRow(big)).hostId, ids.src);
  await shell(client(ids.src!), big, "echo big-still-$((2+2))", "big-still-4");
  assert.deepEqual(await hostVmIds(ids.src!), [big]);
  assert.match(parent.log ? JSON.stringify(parent.log) : "", /stayed: 'big' \(no host can take it/);

  // A host in maintenance takes no placements, and a second evacuation of it is refused while one runs.
  await assert.rejects(admin.host.evacuationCancel({ hostId: ids.src! }), /no evacuation or move-back under way/);

  // Leaving maintenance, moving them back.
  const back = await admin.host.setMaintenance({ hostId: ids.src!, on: false, moveBack: true });
  assert.ok(back.taskId);
  const returned = await finished(back.taskId);
  assert.equal(returned.state, "succeeded", `${returned.error} ${JSON.stringify(returned.log)}`);
  assert.equal(returned.kind, "host.moveBack");
  assert.deepEqual(await hostVmIds(ids.src!), [big, ...Object.values(guests)].sort());
  assert.deepEqual(await hostVmIds(ids.a!), []);
  assert.deepEqual(await hostVmIds(ids.b!), []);
  for (const [name, id] of Object.entries(guests)) {
    const row = await vmRow(id);
    assert.equal(row.hostId, ids.src);
    assert.equal(row.evacuatedFromHostId, null);
    await shell(client(ids.src!), id, `echo home-$GHVAR`, `home-${name}-42`);
  }
  const host = await t.db.host.findUniqueOrThrow({ where: { id: ids.src! } });
  assert.equal(host.maintenance, false);
});
