/**
 * A console killed in the middle of a cancel (docs/decisions/0047, 0056): the request is journaled
 * in the task, then the console dies with SIGKILL — before it asked the host to stop
 * (`task.cancel:journaled`), or after the host said it was stopping but before the task was closed
 * (`task.cancel:host-asked`). The host's full clone runs on, or is undone, without it. When a
 * console starts again, reconciliation closes the task `succeeded` (the host made the clone: it is
 * recorded) or `cancelled` (the host undid it), and the DB and the host hold the same VMs and disks.
 *
 * Real parts: the stack's PostgreSQL, the host service as its own process on its own data folder,
 * qemu-img copying a 2 GiB disk full of data, and the console's API and state sync.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createCaller, createContextInner, createHostGateway, specForVm } from "@guesthouse/api";
import { CHILD, exited, freePort, HostProcess, REPO, TOKEN, until } from "./crash-host.test-support.ts";
import { startStateSync } from "./state-sync.server.ts";

const quiet = pino({ level: "silent" });
let t: TestDatabase;
let host: HostProcess;
let sync: { stop(): void } | undefined;
let user: { id: string; email: string; name: string; sessionId: string };
let templateId = "";
const gateway = () => createHostGateway(t.db, TOKEN);
const consoleStarts = () => (sync = startStateSync({ db: t.db, hosts: gateway(), log: quiet, retryMs: 200, reconcileEveryMs: 3_600_000 }));

before(async () => {
  t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
  host = new HostProcess(await mkdtemp(join(tmpdir(), "gh-cancel-crash-")), await freePort());
  await host.start();
  const hostId = (await t.db.host.create({ data: { name: "local", url: host.url, tokenHash: "-" } })).id;
  const row = await t.db.user.create({ data: { email: "canceller@test.local", name: "Canceller", passwordHash: "!" } });
  const admin = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  await t.db.accessGrant.create({ data: { roleId: admin.id, userId: row.id, scope: "global" } });
  const session = await t.db.session.create({ data: { tokenHash: "cancel", userId: row.id, expiresAt: new Date(Date.now() + 3_600_000) } });
  user = { id: row.id, email: row.email, name: row.name, sessionId: session.id };
  const caller = createCaller(createContextInner({ db: t.db, hosts: gateway(), ip: "test", secureCookies: false, user }));
  // A stopped VM whose 2 GiB disk holds data all through, made a template: a full clone copies it all.
  const vmId = `vbig${Date.now().toString(36)}`;
  const diskId = `${vmId}-d0`;
  await host.client.disk.create.mutate({ id: diskId, sizeBytes: 2 * 1024 ** 3 });
  const writes = [0, 1, 2, 3].flatMap((i) => ["-c", `write -P 0x${(0x41 + i).toString(16)} ${i * 512}M 512M`]);
  await promisify(execFile)("qemu-io", ["-f", "qcow2", ...writes, join(host.dataDir, "host", "disks", `${diskId}.qcow2`)]);
  await t.db.vm.create({
    data: {
      id: vmId,
      name: "big",
      hostId,
      memoryMiB: 32,
      disks: { create: { id: diskId, slot: 0, path: `disk:${diskId}`, sizeBytes: 0n } },
    },
  });
  await host.client.vm.define.mutate({ id: vmId, spec: await specForVm(t.db, vmId) });
  templateId = (await caller.template.fromVm({ vmId, name: "big-template" })).id;
  consoleStarts();
});

after(async () => {
  sync?.stop();
  for (const vm of await host.client.vm.list.query().catch(() => [])) await host.client.vm.delete.mutate({ id: vm.id, deleteDisks: true });
  await host.client.template.delete.mutate({ id: templateId }).catch(() => undefined);
  await host.stop();
  await rm(host.dataDir, { recursive: true, force: true });
  await t.drop();
});

/** The DB and the host hold the same VMs and the same disks: nothing is orphaned on either side. */
async function agree(): Promise<void> {
  const sorted = (xs: string[]) => [...xs].sort();
  const rows = await t.db.vm.findMany({ select: { id: true, disks: { select: { id: true } } } });
  assert.deepEqual(sorted((await host.client.vm.list.query()).map((v) => v.id)), sorted(rows.map((r) => r.id)), "the same VMs");
  assert.deepEqual(
    sorted((await host.client.disk.list.query()).map((d) => d.id)),
    sorted(rows.flatMap((r) => r.disks.map((d) => d.id))),
    "the same disks, none orphaned",
  );
}

/** A console starts a full clone, cancels it once it copies, and dies at `point`; then a console starts again. */
async function consoleDiesMidCancel(point: string, name: string) {
  const job = {
    databaseUrl: t.url,
    hostToken: TOKEN,
    user,
    call: "template.clone",
    input: { templateId, name, mode: "full" },
    cancel: { kind: "template.clone", above: 10 },
  };
  sync?.stop(); // one console at a time, as in a real restart
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(job)], {
    cwd: REPO,
    env: { ...process.env, GUESTHOUSE_CRASH_AT: point },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let said = "";
  child.stdout?.on("data", (b: Buffer) => (said += b.toString()));
  assert.equal(await exited(child), "SIGKILL", `the console should have died at ${point}; it said: ${said.trim()}`);
  const task = await t.db.task.findFirstOrThrow({ where: { kind: "template.clone" }, orderBy: { createdAt: "desc" } });
  assert.equal(task.state, "running", "the dead console's task is left open");
  assert.match(JSON.stringify(task.log), /cancel requested by canceller@test\.local/, "with the cancel request journaled");
  // The host finishes (or undoes) its half on its own; a console that starts meanwhile leaves the task for a later pass.
  const { vmId } = task.input as { vmId: string };
  await until("the host's copy to end", async () => (await host.client.vm.progress.query({ id: vmId })) === null, 120_000);
  consoleStarts();
  return until(
    "the task to be closed",
    async () => {
      const row = await t.db.task.findUniqueOrThrow({ where: { id: task.id } });
      return row.state !== "running" ? row : undefined;
    },
    60_000,
  );
}

test("killed after journaling the cancel, before asking the host: the host made the clone, so the task ends succeeded and the clone is listed", async () => {
  const done = await consoleDiesMidCancel("task.cancel:journaled", "clone-kept");
  assert.equal(done.state, "succeeded", JSON.stringify(done.log));
  assert.match(JSON.stringify(done.log), /the host had made the clone/);
  assert.equal(await t.db.vm.count({ where: { name: "clone-kept" } }), 1, "the clone is recorded");
  await agree();
});

test("killed after the host said it was stopping: the host undid the copy, so the task ends cancelled and nothing is left", async () => {
  const done = await consoleDiesMidCancel("task.cancel:host-asked", "clone-undone");
  assert.equal(done.state, "cancelled", JSON.stringify(done.log));
  assert.match(JSON.stringify(done.log), /cancelled by canceller@test\.local; interrupted: the host had not made the clone/);
  assert.equal(await t.db.vm.count({ where: { name: "clone-undone" } }), 0, "no clone row");
  await agree();
});
