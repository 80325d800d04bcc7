/**
 * A state save through the console's API (vm.save): the task's percent is QEMU's own as the host
 * writes the guest's RAM (`query-migrate`, polled by the console while its task waits), not only the
 * console's 10 → 90 steps. The guest's RAM holds data (a file in its in-RAM root file system), so
 * QEMU has real pages to write.
 *
 * Real parts: the stack's PostgreSQL, the host service as its own process, a tiny Linux guest.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createCaller, createContextInner, createHostGateway, recordHeartbeat } from "@guesthouse/api";
import { ensureImages } from "@guesthouse/images";
import { freePort, guestAnswers, HostProcess, IMAGES, TOKEN, until, valuesWhile } from "./crash-host.test-support.ts";
import { startHostHeartbeat } from "./host-heartbeat.server.ts";
import { startStateSync } from "./state-sync.server.ts";

let t: TestDatabase;
let host: HostProcess;
let sync: { stop(): void };
let heartbeat: { stop(): void };
let caller: ReturnType<typeof createCaller>;
let vmId = "";

before(async () => {
  const { tinyLinux } = await ensureImages({ dataDir: IMAGES });
  t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
  host = new HostProcess(await mkdtemp(join(tmpdir(), "gh-save-task-")), await freePort());
  await host.start();
  const hostId = (await t.db.host.create({ data: { name: "local", url: host.url, tokenHash: "-" } })).id;
  const gateway = createHostGateway(t.db, TOKEN);
  // As the console's heartbeat would: placement reads the host's reported capacity.
  await recordHeartbeat(t.db, hostId, await (await gateway.forHost(hostId)).host.info.query());
  // The host's events write the power state, as in the console.
  const quiet = pino({ level: "silent" });
  sync = startStateSync({ db: t.db, hosts: gateway, log: quiet, retryMs: 200, reconcileEveryMs: 3_600_000 });
  // The console's heartbeat records the host online, which state sync follows (ADR 0036).
  heartbeat = startHostHeartbeat({ db: t.db, hosts: gateway, log: quiet, everyMs: 200, unreachableAfterMs: 60_000 });
  const row = await t.db.user.create({ data: { email: "saver@test.local", name: "Saver", passwordHash: "!" } });
  const admin = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  await t.db.accessGrant.create({ data: { roleId: admin.id, userId: row.id, scope: "global" } });
  const session = await t.db.session.create({ data: { tokenHash: "save", userId: row.id, expiresAt: new Date(Date.now() + 3_600_000) } });
  const user = { id: row.id, email: row.email, name: row.name, sessionId: session.id };
  caller = createCaller(createContextInner({ db: t.db, hosts: gateway, ip: "test", secureCookies: false, user }));
  const kernelBoot = { kernel: tinyLinux.kernel, initrd: tinyLinux.initrd, cmdline: tinyLinux.cmdline };
  const tpl = await t.db.template.create({ data: { name: "Tiny Linux", memoryMiB: 128, hostId, kernelBoot } });
  vmId = (
    await caller.vm.create({ name: "saver", source: { kind: "template", templateId: tpl.id }, memoryMiB: 512, diskGiB: 0.01, nics: [] })
  ).id;
  const state = async () => (await t.db.vm.findUniqueOrThrow({ where: { id: vmId } })).state;
  await until("the VM to be recorded as stopped", async () => (await state()) === "stopped");
  await caller.vm.start({ vmId });
  await until("the VM to be recorded as running", async () => (await state()) === "running");
  await guestAnswers(host.client, vmId);
  // 320 MB of RAM that holds data: at QEMU's default bandwidth its save lasts a few of the console's polls.
  const read = async () => Buffer.from((await host.client.serial.read.query({ id: vmId, maxBytes: 65536 })).base64, "base64").toString();
  await host.client.serial.write.mutate({
    id: vmId,
    data: "dd if=/dev/urandom of=/fill bs=1M count=320 2>/dev/null; echo filled-$((40+2))\n",
    encoding: "utf8",
  });
  await until("the guest's RAM to be filled", async () => (await read()).includes("filled-42"), 240_000);
});

after(async () => {
  sync?.stop();
  heartbeat?.stop();
  for (const vm of await host.client.vm.list.query().catch(() => [])) {
    if (vm.pid) await host.client.vm.powerOff.mutate({ id: vm.id }).catch(() => undefined);
    await host.client.vm.delete.mutate({ id: vm.id, deleteDisks: true }).catch(() => undefined);
  }
  await host.stop();
  await rm(host.dataDir, { recursive: true, force: true });
  await t.drop();
});

test(
  "vm.save's task rises with QEMU's RAM figures while the host saves, and ends succeeded with the VM suspended",
  { timeout: 300_000 },
  async () => {
    const saving = caller.vm.save({ vmId });
    const seen = await valuesWhile(
      saving,
      async () => (await t.db.task.findFirst({ where: { kind: "vm.save", vmId }, orderBy: { createdAt: "desc" } }))?.progress,
    );
    await saving;
    const between = seen.filter((p) => p > 10 && p < 90);
    assert.ok(between.length >= 2, `at least two of QEMU's figures between the console's own 10 and 90, seen: ${seen.join(" → ")}`);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      "progress never goes back",
    );
    const task = await t.db.task.findFirstOrThrow({ where: { kind: "vm.save", vmId }, orderBy: { createdAt: "desc" } });
    assert.equal(task.state, "succeeded");
    assert.ok(
      (task.log as { line: string }[]).some((l) => /^save: \d+% \(\d+ of \d+ RAM bytes written\)/.test(l.line)),
      JSON.stringify(task.log),
    );
    await until(
      "the VM to be recorded as suspended",
      async () => (await t.db.vm.findUniqueOrThrow({ where: { id: vmId } })).state === "suspended",
    );
  },
);
