/**
 * Crash points (docs/decisions/0018-tasks-journal.md). A console, and separately a host service, is
 * killed with SIGKILL at points of template capture, clone, snapshot and VM delete
 * (GUESTHOUSE_CRASH_AT, packages/shared/src/crash-point.ts). Then what a restart does runs for real:
 * a new console's state sync reconciles every host it reaches, a host service that starts again
 * finishes or undoes what it had half-done. Afterwards the DB and the host agree — the same VMs,
 * disks, templates and snapshots on both sides, no half-made template folder, no task left open —
 * and the guests that should run still answer on their serial console.
 *
 * Everything here is real: PostgreSQL (the stack's), the host service as its own process on its own
 * data folder, QEMU guests (the tiny Linux demo guest), and the console's API and state sync.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { TRPCError } from "@trpc/server";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createCaller, createContextInner, createHostGateway, recordHeartbeat } from "@guesthouse/api";
import { ensureImages } from "@guesthouse/images";
import { CHILD, exited, freePort, guestAnswers, HostProcess, IMAGES, REPO, TOKEN, until } from "./crash-host.test-support.ts";
import { startHostHeartbeat } from "./host-heartbeat.server.ts";
import { startStateSync } from "./state-sync.server.ts";

describe("crash points: the DB and the host agree after a console or a host service dies mid-operation", () => {
  let t: TestDatabase;
  let host: HostProcess;
  let caller: ReturnType<typeof createCaller>;
  let sync: { stop(): void };
  let heartbeat: { stop(): void };
  let hostId = "";
  let tinyTemplateId = "";
  let user: { id: string; email: string; name: string; sessionId: string };
  const quiet = pino({ level: "silent" });
  const gateway = () => createHostGateway(t.db, TOKEN);
  const consoleStarts = () =>
    (sync = startStateSync({ db: t.db, hosts: gateway(), log: quiet, retryMs: 200, reconcileEveryMs: 3_600_000 }));

  before(async () => {
    const manifest = await ensureImages({ dataDir: IMAGES });
    t = await createTestDatabase();
    await seedBuiltInRoles(t.db);
    host = new HostProcess(await mkdtemp(join(tmpdir(), "gh-crash-")), await freePort());
    await host.start();
    hostId = (await t.db.host.create({ data: { name: "local", url: host.url, tokenHash: "-" } })).id;
    // As the console's heartbeat would: placement reads the host's reported capacity.
    await recordHeartbeat(t.db, hostId, await (await gateway().forHost(hostId)).host.info.query());
    const { tinyLinux } = manifest;
    tinyTemplateId = (
      await t.db.template.create({
        data: {
          name: "Tiny Linux",
          osLabel: "Linux (busybox)",
          memoryMiB: 128,
          hostId,
          kernelBoot: { kernel: tinyLinux.kernel, initrd: tinyLinux.initrd, cmdline: tinyLinux.cmdline },
        },
      })
    ).id;
    const row = await t.db.user.create({ data: { email: "crash@test.local", name: "Crash", passwordHash: "!" } });
    const admin = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
    await t.db.accessGrant.create({ data: { roleId: admin.id, userId: row.id, scope: "global" } });
    const session = await t.db.session.create({
      data: { tokenHash: "crash", userId: row.id, expiresAt: new Date(Date.now() + 3_600_000) },
    });
    user = { id: row.id, email: row.email, name: row.name, sessionId: session.id };
    caller = createCaller(createContextInner({ db: t.db, hosts: gateway(), ip: "test", secureCookies: false, user }));
    consoleStarts();
    // The console's heartbeat is what records a host as online again (ADR 0036).
    heartbeat = startHostHeartbeat({ db: t.db, hosts: gateway(), log: quiet, everyMs: 200, unreachableAfterMs: 60_000 });
  });

  after(async () => {
    sync?.stop();
    heartbeat?.stop();
    // No guest outlives the test: power off and delete whatever is left, then stop the service.
    for (const vm of await host.client.vm.list.query().catch(() => [])) {
      if (vm.pid) await host.client.vm.powerOff.mutate({ id: vm.id }).catch(() => undefined);
      await host.client.vm.delete.mutate({ id: vm.id, deleteDisks: true }).catch(() => undefined);
    }
    await host.stop();
    await rm(host.dataDir, { recursive: true, force: true });
    await t.drop();
  });

  const dbState = async (vmId: string) => (await t.db.vm.findUnique({ where: { id: vmId }, select: { state: true } }))?.state;

  const answers = (vmId: string, fresh = true) => guestAnswers(host.client, vmId, fresh);

  async function newVm(name: string, run: boolean): Promise<string> {
    const { id } = await caller.vm.create({
      name,
      source: { kind: "template", templateId: tinyTemplateId },
      memoryMiB: 128,
      diskGiB: 0.01,
      // No NIC: these cases are about disks, snapshots and templates (an instant clone of a RAM
      // template with NICs is refused, ADR 0037).
      nics: [],
    });
    await until(`${name} to be recorded as stopped`, async () => (await dbState(id)) === "stopped");
    if (run) {
      await caller.vm.start({ vmId: id });
      await until(`${name} to be recorded as running`, async () => (await dbState(id)) === "running");
      await answers(id);
    }
    return id;
  }

  /** A console process that makes `call` and is killed with SIGKILL at `point`; then a console starts again. */
  async function consoleDiesAt(point: string, call: string, input: unknown): Promise<void> {
    const job = { databaseUrl: t.url, hostToken: TOKEN, user, call, input };
    // One console at a time, as in a real restart: this one stops, the child is the console that dies.
    sync.stop();
    try {
      const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(job)], {
        cwd: REPO,
        env: { ...process.env, GUESTHOUSE_CRASH_AT: point },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let said = "";
      child.stdout?.on("data", (b: Buffer) => (said += b.toString()));
      assert.equal(await exited(child), "SIGKILL", `the console should have died at ${point}; it said: ${said.trim()}`);
      const left = await t.db.task.findFirstOrThrow({ where: { state: "running" }, select: { kind: true } });
      assert.equal(left.kind, call === "template.fromVm" ? "template.capture" : call, "the dead console's task is left open");
    } finally {
      consoleStarts();
    }
    await noTaskOpen();
  }

  /** The host service dies with SIGKILL at `point` during `op`; the console is told, the host starts again. */
  async function hostDiesDuring(point: string, vmId: string | null, op: () => Promise<unknown>): Promise<void> {
    const want = vmId ? await dbState(vmId) : undefined;
    await host.stop();
    const restarted = new Date();
    await host.start(point);
    await until("the console to reach the host again", async () => {
      const row = await t.db.host.findUniqueOrThrow({ where: { id: hostId }, select: { state: true, lastSeenAt: true } });
      return row.state === "online" && row.lastSeenAt !== null && row.lastSeenAt >= restarted;
    });
    if (vmId) await until(`the console to see ${vmId} as ${want} again`, async () => (await dbState(vmId)) === want);
    const error = await op().then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof TRPCError, `the operation should have failed when the host died at ${point}`);
    assert.equal(
      error.code,
      "SERVICE_UNAVAILABLE",
      `${point}: ${error.message} (${(error.cause as Error | undefined)?.stack ?? "no cause"})`,
    );
    assert.match(error.message, /The host stopped answering during .*; the task is finished or undone when the host is back/);
    assert.equal(await exited(host.child!), "SIGKILL", `the host should have died at ${point}`);
    const open = await t.db.task.findFirstOrThrow({ where: { state: "running" }, select: { owner: true } });
    assert.equal(open.owner, "", "a task whose host went away is left to reconciliation");
    await host.start();
    await noTaskOpen();
  }

  const noTaskOpen = () =>
    until("every task to be closed", async () => (await t.db.task.count({ where: { state: { in: ["queued", "running"] } } })) === 0);
  const lastTask = () => t.db.task.findFirstOrThrow({ orderBy: { createdAt: "desc" }, select: { kind: true, state: true, error: true } });

  /** Both sides hold the same VMs, disks, templates and snapshots, and nothing half-made. */
  async function agree(): Promise<void> {
    const [vms, disks, templates] = await Promise.all([
      host.client.vm.list.query(),
      host.client.disk.list.query(),
      host.client.template.list.query(),
    ]);
    const rows = await t.db.vm.findMany({ select: { id: true, name: true, disks: { select: { id: true } } } });
    const sorted = (xs: string[]) => [...xs].sort();
    assert.deepEqual(sorted(vms.map((v) => v.id)), sorted(rows.map((r) => r.id)), "the same VMs");
    assert.deepEqual(
      sorted(disks.map((d) => d.id)),
      sorted(rows.flatMap((r) => r.disks.map((d) => d.id))),
      "the same disks, none orphaned",
    );
    const dbTemplates = await t.db.template.findMany({ where: { onHost: true }, select: { id: true } });
    assert.deepEqual(sorted(templates.map((x) => x.id)), sorted(dbTemplates.map((x) => x.id)), "the same templates");
    const folders = await readdir(join(host.dataDir, "host", "templates")).catch(() => [] as string[]);
    assert.deepEqual(sorted(folders), sorted(templates.map((x) => x.id)), "no template folder but whole ones");
    for (const r of rows.filter((x) => x.disks.length)) {
      const onHost = (await host.client.snapshot.list.query({ id: r.id })).map((s) => s.name);
      const inDb = (await t.db.snapshot.findMany({ where: { vmId: r.id }, select: { tag: true } })).map((s) => s.tag);
      assert.deepEqual(sorted(onHost), sorted(inDb), `the same snapshots of ${r.name}`);
    }
  }

  let capturedWithRam = "";

  test(
    "a console killed before and after the host took a snapshot: nothing, then the snapshot in its place",
    { timeout: 180_000 },
    async () => {
      const vmId = await newVm("crash-snap", false);
      await consoleDiesAt("snapshot.take@10", "snapshot.take", { vmId, name: "never" });
      assert.deepEqual(await lastTask(), {
        kind: "snapshot.take",
        state: "failed",
        error: "Interrupted (the console or the host stopped half-way): the host had not taken the snapshot; nothing changed",
      });
      await agree();
      await consoleDiesAt("snapshot.take@90", "snapshot.take", { vmId, name: "kept" });
      assert.equal((await lastTask()).state, "succeeded");
      const snap = await t.db.snapshot.findFirstOrThrow({ where: { vmId }, select: { name: true, current: true } });
      assert.deepEqual(snap, { name: "kept", current: true }, "recorded under the name the user gave, as the current one");
      await agree();
    },
  );

  test(
    "a host service killed after taking a snapshot: the console is told, and the snapshot is recorded when the host is back",
    { timeout: 180_000 },
    async () => {
      const vmId = (await t.db.vm.findFirstOrThrow({ where: { name: "crash-snap" }, select: { id: true } })).id;
      await hostDiesDuring("snapshot.take:taken", vmId, () => caller.snapshot.take({ vmId, name: "host-died" }));
      assert.equal((await lastTask()).state, "succeeded");
      assert.ok(await t.db.snapshot.findFirst({ where: { vmId, name: "host-died" } }), "the snapshot the host had taken is in the tree");
      await agree();
    },
  );

  test(
    "a host service killed while moving a VM's disks into a template: the VM gets its disks back and boots",
    { timeout: 240_000 },
    async () => {
      const vmId = (await t.db.vm.findFirstOrThrow({ where: { name: "crash-snap" }, select: { id: true } })).id;
      await hostDiesDuring("template.capture:disk-moved", vmId, () => caller.template.fromVm({ vmId, name: "never-made" }));
      const task = await lastTask();
      assert.deepEqual([task.kind, task.state], ["template.capture", "failed"]);
      assert.match(task.error, /the host had not made the template; the VM is unchanged/);
      assert.equal(await t.db.template.count({ where: { name: "never-made" } }), 0);
      await agree();
      await caller.vm.start({ vmId });
      await until("crash-snap to run again", async () => (await dbState(vmId)) === "running");
      await answers(vmId);
    },
  );

  test(
    "a host service killed once a running VM's template is written: the capture is finished, RAM included",
    { timeout: 240_000 },
    async () => {
      const vmId = (await t.db.vm.findFirstOrThrow({ where: { name: "crash-snap" }, select: { id: true } })).id;
      await hostDiesDuring("template.capture:described", vmId, () => caller.template.fromVm({ vmId, name: "with-ram" }));
      assert.equal((await lastTask()).state, "succeeded");
      const tpl = await t.db.template.findUniqueOrThrow({ where: { name: "with-ram" }, select: { id: true, withRam: true } });
      assert.equal(tpl.withRam, true);
      assert.equal(await t.db.vm.count({ where: { id: vmId } }), 0, "the VM became the template");
      capturedWithRam = tpl.id;
      await agree();
    },
  );

  test("a console killed after the host made an instant clone: the clone is recorded, and it runs", { timeout: 240_000 }, async () => {
    await consoleDiesAt("template.clone@90", "template.clone", { templateId: capturedWithRam, name: "clone-a", mode: "instant" });
    assert.equal((await lastTask()).state, "succeeded");
    const clone = await t.db.vm.findUniqueOrThrow({ where: { name: "clone-a" }, select: { id: true, templateId: true } });
    assert.equal(clone.templateId, capturedWithRam);
    await until("clone-a to be recorded as running", async () => (await dbState(clone.id)) === "running");
    await answers(clone.id, false);
    await agree();
  });

  test("a host service killed after making a linked clone's disks: they are removed, no VM appears", { timeout: 180_000 }, async () => {
    await hostDiesDuring("template.clone:disks-made", null, () =>
      caller.template.clone({ templateId: capturedWithRam, name: "clone-b", mode: "linked" }),
    );
    const task = await lastTask();
    assert.deepEqual([task.kind, task.state], ["template.clone", "failed"]);
    assert.match(task.error, /the host had not made the clone; the disks it had begun were removed; nothing changed/);
    assert.equal(await t.db.vm.count({ where: { name: "clone-b" } }), 0);
    await agree();
  });

  test("a console killed before, then after, the host deleted a VM: kept, then gone with its disks", { timeout: 180_000 }, async () => {
    const vmId = (await t.db.vm.findUniqueOrThrow({ where: { name: "clone-a" }, select: { id: true } })).id;
    await consoleDiesAt("vm.delete@40", "vm.delete", { vmId, force: true });
    assert.match((await lastTask()).error, /the host still has the VM; it was not deleted/);
    assert.equal(await t.db.vm.count({ where: { id: vmId } }), 1);
    await agree();
    await consoleDiesAt("vm.delete@90", "vm.delete", { vmId, force: true });
    assert.equal((await lastTask()).state, "succeeded");
    assert.equal(await t.db.vm.count({ where: { id: vmId } }), 0);
    await agree();
  });

  test(
    "a host service killed between forgetting a VM and deleting its disks: the disks go when it is back",
    { timeout: 180_000 },
    async () => {
      const vmId = await newVm("crash-del", false);
      await hostDiesDuring("vm.delete:record-removed", vmId, () => caller.vm.delete({ vmId, force: false }));
      assert.equal((await lastTask()).state, "succeeded");
      assert.equal(await t.db.vm.count({ where: { id: vmId } }), 0);
      await agree();
    },
  );

  test("a console killed after the host made a template of a stopped VM: the template is recorded", { timeout: 180_000 }, async () => {
    const vmId = await newVm("crash-tpl", false);
    await consoleDiesAt("template.capture@90", "template.fromVm", { vmId, name: "disk-only" });
    assert.equal((await lastTask()).state, "succeeded");
    assert.equal((await t.db.template.findUniqueOrThrow({ where: { name: "disk-only" }, select: { withRam: true } })).withRam, false);
    await agree();
  });

  test(
    "reverting and deleting snapshots cut short by a dead console or host: the tree follows what the host did",
    { timeout: 240_000 },
    async () => {
      const vmId = await newVm("crash-rev", false);
      const a = await caller.snapshot.take({ vmId, name: "a" });
      const b = await caller.snapshot.take({ vmId, name: "b" });
      const current = async () => (await t.db.snapshot.findFirst({ where: { vmId, current: true }, select: { name: true } }))?.name;
      await consoleDiesAt("snapshot.revert@10", "snapshot.revert", { vmId, snapshotId: a.id });
      assert.match((await lastTask()).error, /the host had not reverted the VM; nothing changed/);
      assert.equal(await current(), "b", "not reverted: 'you are here' stays");
      await consoleDiesAt("snapshot.revert@90", "snapshot.revert", { vmId, snapshotId: a.id });
      assert.equal((await lastTask()).state, "succeeded");
      assert.equal(await current(), "a", "the host reverted, so the tree says so");
      await hostDiesDuring("snapshot.delete:deleted", vmId, () => caller.snapshot.delete({ vmId, snapshotId: b.id }));
      assert.equal((await lastTask()).state, "succeeded");
      assert.deepEqual(
        (await t.db.snapshot.findMany({ where: { vmId }, select: { name: true } })).map((x) => x.name),
        ["a"],
      );
      await agree();
    },
  );

  test(
    "a console killed after the host took new settings, before the DB recorded them: the host has the old ones again",
    { timeout: 180_000 },
    async () => {
      const vmId = await newVm("crash-set", false);
      const row = await t.db.vm.findUniqueOrThrow({
        where: { id: vmId },
        select: { profile: true, cpuModel: true, cpus: true, bootOrder: true },
      });
      const settings = { vmId, ...row, cpuModel: row.cpuModel ?? "auto", memoryMiB: 160, mediaId: null } as Parameters<
        typeof caller.vm.update
      >[0];
      await consoleDiesAt("vm.update@80", "vm.update", settings);
      assert.match((await lastTask()).error, /the change had not been recorded, so the host has the VM's previous spec again/);
      assert.equal((await host.client.vm.get.query({ id: vmId })).spec.memoryMiB, 128, "the host is back at the recorded 128 MiB");
      await caller.vm.update(settings);
      assert.equal((await host.client.vm.get.query({ id: vmId })).spec.memoryMiB, 160, "a change that completes reaches both sides");
      assert.equal((await t.db.vm.findUniqueOrThrow({ where: { id: vmId }, select: { memoryMiB: true } })).memoryMiB, 160);
      await agree();
    },
  );
});
