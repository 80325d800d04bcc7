/**
 * Live moves between two real host services, each in its own network namespace, with a real tiny
 * Linux guest on a local qcow2 disk: RAM over TLS, the disk mirrored over NBD (TLS); a cancel and
 * a target that dies mid-move leave the guest running at the source and nothing at the target.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import type { ImageManifest } from "@guesthouse/images";
import { openHost, PROMPT, serialRun, testImages, tinySpec, waitSerial, type TestHost } from "./harness.test-support.ts";
import { endpoint, moveLive, openTwoHosts, TARGET_ADDR, type TwoHosts } from "./migration/two-hosts.test-support.ts";

let hosts: TwoHosts;
let images: ImageManifest;
const MiB = 1024 * 1024;

before(async () => {
  images = await testImages();
  hosts = await openTwoHosts();
});
after(async () => hosts.close());

async function bootWithDisk(host: TestHost, id: string, extra: Parameters<typeof tinySpec>[2] = {}, diskMiB = 64): Promise<void> {
  await host.api.disk.create({ id: `${id}-d`, sizeBytes: diskMiB * MiB });
  await host.api.vm.define({ id, spec: tinySpec(images, id, { disks: [{ disk: `${id}-d` }], ...extra }) });
  await host.api.vm.start({ id });
  await waitSerial(host.service, id, PROMPT, { timeoutMs: 90_000 });
}

/** Polls a condition the test waits on (a QEMU exit, a removal), never a fixed sleep. */
async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ids = async (h: TestHost) => (await h.api.vm.list()).map((v) => v.id);
const diskIds = async (h: TestHost) => (await h.api.disk.list()).map((d) => d.id);

test("a running guest moves live: its shell variable and its disk content are there at the target, which owns it across a restart", async () => {
  const { source, target } = hosts;
  await bootWithDisk(source, "mover", { clipboard: true });
  await serialRun(source.service, "mover", "GHVAR=kept-$((6*7)); echo set-$GHVAR", /\nset-kept-42\r?\n/);
  await serialRun(
    source.service,
    "mover",
    "echo diskmark-77 | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync; echo wrote-ok",
    /\nwrote-ok/,
  );

  const { figures, view, released } = await moveLive(source, target, "mover", hosts.tls.toTarget, TARGET_ADDR);
  assert.equal(view.state, "running");
  assert.equal(view.reason, "migrated");
  assert.ok(figures.downtimeMs > 0 && figures.downtimeMs < 5000, `QEMU's downtime ${figures.downtimeMs} ms`);
  assert.ok(figures.ramBytes > 1 * MiB, `RAM moved: ${figures.ramBytes} bytes`);
  assert.ok(figures.diskBytes >= 64 * MiB, `disk mirrored: ${figures.diskBytes} bytes`);
  console.log(`live move: total ${figures.totalMs} ms, RAM ${figures.ramMs} ms, downtime ${figures.downtimeMs} ms (QEMU)`);

  // The source forgot it, files and all.
  assert.deepEqual(released, { id: "mover", deletedDisks: ["mover-d"] });
  assert.deepEqual(await ids(source), []);
  assert.equal(existsSync(source.service.paths.diskPath("mover-d")), false);
  assert.equal(existsSync(source.service.paths.vmDir("mover")), false);

  // The same shell, read on the target's serial console.
  await serialRun(target.service, "mover", "echo got-$GHVAR", /\ngot-kept-42\r?\n/);
  await serialRun(
    target.service,
    "mover",
    "echo 3 > /proc/sys/vm/drop_caches; echo disk-$(head -c 11 /dev/vda)",
    /\ndisk-diskmark-77\r?\n/,
  );
  // And in the target's own file, as the host sees it.
  const bytes = execFileSync("qemu-io", ["-U", "-r", "-f", "qcow2", "-c", "read -v 0 11", target.service.paths.diskPath("mover-d")], {
    encoding: "utf8",
  });
  assert.match(bytes, /64 69 73 6b 6d 61 72 6b 2d 37 37/, "the bytes of 'diskmark-77'");
  // The clipboard port was plugged back at the target: QEMU refuses a migration again.
  const qmp = target.service.vms.get("mover").instance?.qmp;
  await assert.rejects(qmp!.execute("migrate", { uri: "tcp:127.0.0.1:1" }), /vdagent chardev doesn't yet support migration/);

  // A normal VM of the target's: a host-service restart reattaches to it.
  await target.detach();
  const reopened = await openHost(target.dataDir, { netns: hosts.targetNs });
  hosts.target = reopened;
  const again = await reopened.api.vm.get({ id: "mover" });
  assert.equal(again.state, "running");
  await serialRun(reopened.service, "mover", "echo still-$GHVAR", /\nstill-kept-42\r?\n/);
  await reopened.api.vm.powerOff({ id: "mover" });
  await reopened.api.vm.delete({ id: "mover", deleteDisks: true });
});

/** Starts a slow move (2 MiB/s per stream) and resolves once RAM is on its way (the move itself in `started`). */
async function slowMove(id: string): Promise<{ started: Promise<unknown> }> {
  const { source, target } = hosts;
  const d = await source.api.migration.describe({ id });
  const listen = endpoint(TARGET_ADDR);
  await target.api.migration.prepare({ id, spec: d.spec, disks: d.disks, listen, tls: hosts.tls.toTarget.server });
  const started = source.api.migration.start({ id, target: listen, tls: hosts.tls.toTarget.client, maxBandwidth: 2 * MiB });
  started.catch(() => undefined);
  await until(
    "the RAM stream",
    async () => {
      const p = await source.api.migration.progress({ id });
      return p.moving && p.phase === "migrating" && (p.ram?.transferredBytes ?? 0) > 0;
    },
    60_000,
  );
  const p = await source.api.migration.progress({ id });
  assert.ok(p.moving && p.disks.length === 1 && p.disks[0]!.ready, "the disk mirror is in sync while RAM moves");
  return { started };
}

async function assertStillRunningAtSource(id: string): Promise<void> {
  const { source, target } = hosts;
  assert.equal((await source.api.vm.get({ id })).state, "running");
  await serialRun(source.service, id, "echo alive-$((40+2))", /\nalive-42\r?\n/);
  // The target removes its half by itself once the stream is gone.
  await until(
    "the target's half to be removed",
    async () => !(await ids(target)).includes(id) && !(await diskIds(target)).includes(`${id}-d`),
  );
  assert.equal(existsSync(target.service.paths.vmDir(id)), false);
  assert.deepEqual(await source.api.migration.progress({ id }), { id, moving: false });
}

test("a move cancelled while RAM is on its way leaves the guest running at the source and nothing at the target", async () => {
  await bootWithDisk(hosts.source, "cancelme", {}, 16);
  const { started } = await slowMove("cancelme");
  await hosts.source.api.migration.cancel({ id: "cancelme" });
  await assert.rejects(started, /the move of VM 'cancelme' was cancelled; it keeps running here/);
  await assertStillRunningAtSource("cancelme");
});

test("a target QEMU killed mid-move leaves the guest running at the source", async () => {
  await bootWithDisk(hosts.source, "killtgt", {}, 16);
  const { started } = await slowMove("killtgt");
  hosts.target.service.vms.get("killtgt").instance!.kill("SIGKILL");
  await assert.rejects(started, /moving VM 'killtgt' failed, it keeps running here/);
  await assertStillRunningAtSource("killtgt");
});
