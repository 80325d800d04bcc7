/**
 * Start at boot (docs/decisions/0043-start-at-boot-as-a-queued-job.md). A host's machine "boots
 * again": its host service and every guest are killed with SIGKILL, as a power cut would, and the
 * service starts with a new kernel boot id. The kernel's boot id is a boundary we do not own, so a
 * file stands in for /proc/sys/kernel/random/boot_id (GUESTHOUSE_BOOT_ID_FILE); everything else is
 * real: PostgreSQL, pg-boss, the host service as its own process, tiny Linux guests, the console's
 * heartbeat (which notes the boot id), state sync and job worker. The autostart VMs come back in
 * their start order and answer on their serial consoles; the others stay off; a host-service
 * restart on the same boot starts nothing.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createCaller, createContextInner, createHostGateway } from "@guesthouse/api";
import { ensureImages, TINY_PROMPT } from "@guesthouse/images";
import { exited, freePort, HostProcess, IMAGES, TOKEN, until } from "./crash-host.test-support.ts";
import { startJobs, type Jobs } from "./jobs.server.ts";
import { startHostHeartbeat } from "./host-heartbeat.server.ts";
import { startStateSync } from "./state-sync.server.ts";

describe("start at boot: when a host's machine has booted again, its autostart VMs start in their order", () => {
  let t: TestDatabase;
  let host: HostProcess;
  let bootFile = "";
  let jobs: Jobs;
  let sync: { stop(): void };
  let heartbeat: { stop(): void };
  let caller: ReturnType<typeof createCaller>;
  let hostId = "";
  let templateId = "";
  const quiet = pino({ level: "silent" });

  before(async () => {
    const { tinyLinux } = await ensureImages({ dataDir: IMAGES });
    t = await createTestDatabase();
    await seedBuiltInRoles(t.db);
    const dataDir = await mkdtemp(join(tmpdir(), "gh-boot-"));
    bootFile = join(dataDir, "boot_id");
    await writeFile(bootFile, "first-boot\n");
    // No default network: this test is about start at boot, not networks.
    host = new HostProcess(dataDir, await freePort(), { GUESTHOUSE_BOOT_ID_FILE: bootFile, GUESTHOUSE_DEFAULT_NETWORK: "off" });
    await host.start();
    hostId = (await t.db.host.create({ data: { name: "local", url: host.url, tokenHash: "-" } })).id;
    templateId = (
      await t.db.template.create({
        data: {
          name: "Tiny Linux",
          memoryMiB: 128,
          hostId,
          kernelBoot: { kernel: tinyLinux.kernel, initrd: tinyLinux.initrd, cmdline: tinyLinux.cmdline },
        },
      })
    ).id;
    const row = await t.db.user.create({ data: { email: "boot@test.local", name: "Boot", passwordHash: "!" } });
    const admin = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
    await t.db.accessGrant.create({ data: { roleId: admin.id, userId: row.id, scope: "global" } });
    const session = await t.db.session.create({ data: { tokenHash: "boot", userId: row.id, expiresAt: new Date(Date.now() + 3_600_000) } });
    const gateway = createHostGateway(t.db, TOKEN);
    caller = createCaller(
      createContextInner({ db: t.db, hosts: gateway, ip: "test", secureCookies: false, user: { ...row, sessionId: session.id } }),
    );
    jobs = await startJobs({ connectionString: t.url, db: t.db, hosts: gateway, log: quiet });
    sync = startStateSync({ db: t.db, hosts: gateway, log: quiet, retryMs: 200, reconcileEveryMs: 3_600_000 });
    heartbeat = startHostHeartbeat({
      db: t.db,
      hosts: gateway,
      log: quiet,
      everyMs: 200,
      unreachableAfterMs: 60_000,
      autostart: jobs.autostart,
    });
    // Placement reads the capacity the heartbeat records.
    await until("the first heartbeat", async () => (await t.db.host.findUniqueOrThrow({ where: { id: hostId } })).state === "online");
  });

  after(async () => {
    sync?.stop();
    heartbeat?.stop();
    await jobs?.stop();
    for (const vm of await host.client.vm.list.query().catch(() => [])) {
      if (vm.pid) await host.client.vm.powerOff.mutate({ id: vm.id }).catch(() => undefined);
      await host.client.vm.delete.mutate({ id: vm.id, deleteDisks: true }).catch(() => undefined);
    }
    await host.stop();
    await rm(host.dataDir, { recursive: true, force: true });
    await t.drop();
  });

  const state = async (vmId: string) => (await t.db.vm.findUniqueOrThrow({ where: { id: vmId }, select: { state: true } })).state;
  const serial = async (vmId: string) =>
    Buffer.from((await host.client.serial.read.query({ id: vmId, maxBytes: 65536 })).base64, "base64").toString();

  /** A heartbeat is on record since `at` (and with it, its boot id has been looked at). */
  async function heardFromSince(at: Date): Promise<boolean> {
    const row = await t.db.host.findUniqueOrThrow({ where: { id: hostId }, select: { lastSeenAt: true } });
    return row.lastSeenAt !== null && row.lastSeenAt >= at;
  }

  async function runningVm(name: string, autostart: boolean, startOrder: number): Promise<string> {
    const { id } = await caller.vm.create({ name, source: { kind: "template", templateId }, memoryMiB: 128, diskGiB: 0.01, nics: [] });
    await until(`${name} to be recorded`, async () => (await state(id)) === "stopped");
    await caller.vm.setAutostart({ vmId: id, autostart, startOrder });
    await caller.vm.start({ vmId: id });
    await until(`${name} to run`, async () => (await state(id)) === "running");
    return id;
  }

  /** Host service and guests die at once (a power cut), then the service starts on `boot`. */
  async function machineRestarts(boot: string): Promise<Date> {
    const pids = (await host.client.vm.list.query()).flatMap((vm) => (vm.pid ? [vm.pid] : []));
    host.child?.kill("SIGKILL");
    await exited(host.child!);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    await writeFile(bootFile, `${boot}\n`);
    const at = new Date();
    await host.start();
    await until("the console to reach the host again", () => heardFromSince(at));
    return at;
  }

  test("after a reboot the autostart VMs start, lowest order first, and boot; the others stay off", { timeout: 300_000 }, async () => {
    const second = await runningVm("boot-second", true, 2);
    const first = await runningVm("boot-first", true, 1);
    const off = await runningVm("boot-off", false, 0);
    const rebootAt = await machineRestarts("second-boot");
    for (const [id, name] of [
      [first, "boot-first"],
      [second, "boot-second"],
    ] as const) {
      await until(`${name} to be started at boot`, async () => (await state(id)) === "running", 120_000);
      await until(`${name} to boot to its shell`, async () => (await serial(id)).includes(TINY_PROMPT), 120_000);
    }
    assert.equal(await state(off), "stopped", "a VM without start at boot stays off");
    const tasks = await t.db.task.findMany({
      where: { kind: "vm.start", createdAt: { gte: rebootAt } },
      orderBy: { createdAt: "asc" },
      select: { vmName: true, actorName: true, state: true },
    });
    assert.deepEqual(tasks, [
      { vmName: "boot-first", actorName: "system", state: "succeeded" },
      { vmName: "boot-second", actorName: "system", state: "succeeded" },
    ]);
    assert.equal(await t.db.auditEvent.count({ where: { action: "host.booted" } }), 1, "the reboot is in the audit log");
  });

  test("a host-service restart on the same boot starts nothing", { timeout: 180_000 }, async () => {
    const first = (await t.db.vm.findUniqueOrThrow({ where: { name: "boot-first" }, select: { id: true } })).id;
    const second = (await t.db.vm.findUniqueOrThrow({ where: { name: "boot-second" }, select: { id: true } })).id;
    await caller.vm.stop({ vmId: first });
    await until("boot-first to be off", async () => (await state(first)) === "stopped");
    const restartAt = new Date();
    await host.stop();
    await until("the console to lose the host", async () => (await state(second)) === "unknown");
    const backAt = new Date();
    await host.start();
    // Both VMs known again (state sync records them one after the other), and a heartbeat since,
    // which is what notes a new boot id: by then a reboot would have been noted.
    await until(
      "the console to reconcile the host again",
      async () => (await state(second)) === "running" && (await state(first)) !== "unknown",
    );
    await until("a heartbeat from the restarted host", () => heardFromSince(backAt));
    assert.equal(await t.db.auditEvent.count({ where: { action: "host.booted" } }), 1, "no second reboot recorded");
    assert.equal(await t.db.task.count({ where: { kind: "vm.start", createdAt: { gte: restartAt } } }), 0);
    assert.equal(await state(first), "stopped");
  });
});
