/** Snapshots with RAM (live) and disk-only (stopped): revert brings back RAM and disk, trees branch, a service crash mid-job is safe. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { imgSnapshots } from "@guesthouse/qemu/snapshot-ops";
import { after, before, test } from "node:test";
import {
  destroyHost,
  openHost,
  PROMPT,
  serialRun,
  tempDataDir,
  testImages,
  tinySpec,
  waitSerial,
  type TestHost,
} from "./harness.test-support.ts";

const MiB = 1024 * 1024;
const VM = "snappy";
let dataDir: string;
let host: TestHost;
let images: Awaited<ReturnType<typeof testImages>>;

before(async () => {
  images = await testImages();
  dataDir = await tempDataDir();
  host = await openHost(dataDir);
  await host.api.disk.create({ id: "sdisk", sizeBytes: 64 * MiB });
  await host.api.vm.define({ id: VM, spec: tinySpec(images, VM, { disks: [{ disk: "sdisk" }] }) });
  await host.api.vm.start({ id: VM });
  await waitSerial(host.service, VM, PROMPT);
});
after(() => destroyHost(host));

// A unique marker per command: after a revert QEMU replays some old serial output.
let n = 0;
async function setValues(ram: string, disk: string): Promise<void> {
  const m = `w${++n}`;
  const cmd = `X=${ram}; echo ${disk} | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync; echo ${m}-ok`;
  await serialRun(host.service, VM, cmd, new RegExp(`\\n${m}-ok\\r?\\n`));
}
async function expectValues(ram: string, disk: string): Promise<void> {
  const m = `r${++n}`;
  const cmd = `echo 3 > /proc/sys/vm/drop_caches; echo ${m}-$X-$(head -c 8 /dev/vda)`;
  await serialRun(host.service, VM, cmd, new RegExp(`\\n${m}-${ram}-${disk}\\r?\\n`));
}
const names = async () => (await host.api.snapshot.list({ id: VM })).map((s) => s.name);

test("revert brings back RAM and disk; snapshots branch into a tree", { timeout: 300_000 }, async () => {
  await setValues("one", "disk-one");
  const s1 = await host.api.snapshot.take({ id: VM, name: "s1" });
  assert.equal(s1.name, "s1");
  assert.equal(s1.withRam, true);
  assert.ok(s1.vmStateBytes > 0);
  assert.ok(Math.abs(s1.createdAt - Date.now()) < 120_000);
  await setValues("two", "disk-two");
  await expectValues("two", "disk-two");
  const reverted = await host.api.snapshot.revert({ id: VM, name: "s1" });
  assert.equal(reverted.state, "running");
  await expectValues("one", "disk-one");

  await setValues("a", "disk-aaa");
  await host.api.snapshot.take({ id: VM, name: "a" });
  await host.api.snapshot.revert({ id: VM, name: "s1" });
  await expectValues("one", "disk-one");
  await setValues("b", "disk-bbb");
  await host.api.snapshot.take({ id: VM, name: "b" });
  await host.api.snapshot.revert({ id: VM, name: "a" });
  await expectValues("a", "disk-aaa");
  await host.api.snapshot.revert({ id: VM, name: "b" });
  await expectValues("b", "disk-bbb");
  assert.deepEqual(await names(), ["s1", "a", "b"]);

  // A paused VM reverts and stays paused.
  await host.api.vm.pause({ id: VM });
  assert.equal((await host.api.snapshot.revert({ id: VM, name: "a" })).state, "paused");
  assert.equal((await host.api.vm.resume({ id: VM })).state, "running");
  await expectValues("a", "disk-aaa");
});

test("bad input is refused with a clear message and changes nothing", { timeout: 120_000 }, async () => {
  const before = await host.api.snapshot.list({ id: VM });
  await assert.rejects(host.api.snapshot.take({ id: VM, name: "bad name;rm" }), /snapshot name: use 1–64 characters/);
  await assert.rejects(host.api.snapshot.take({ id: VM, name: "-x" }), /snapshot name/);
  await assert.rejects(host.api.snapshot.take({ id: VM, name: "s1" }), /already has a snapshot named 's1'/);
  await assert.rejects(host.api.snapshot.revert({ id: VM, name: "nope" }), /has no snapshot named 'nope'/);
  await assert.rejects(host.api.snapshot.delete({ id: VM, name: "nope" }), /has no snapshot named 'nope'/);
  await assert.rejects(host.api.snapshot.list({ id: "ghost" }), /no VM with id 'ghost'/);
  await host.api.vm.define({ id: "nodisk", spec: tinySpec(images, "nodisk") });
  await assert.rejects(host.api.snapshot.take({ id: "nodisk", name: "x" }), /VM 'nodisk' has no disk to hold snapshots: add a disk/);
  assert.deepEqual(await host.api.snapshot.list({ id: VM }), before);
  assert.equal((await host.api.vm.get({ id: VM })).state, "running");
});

/** After a service died mid-snapshot: the new service lists exactly what the qcow2 holds, and the guest is fine. */
async function checkAfterCrash(t: { diagnostic(msg: string): void }, name: string): Promise<void> {
  host = await openHost(dataDir);
  const listed = await host.api.snapshot.list({ id: VM });
  const onDisk = await imgSnapshots(host.service.paths.diskPath("sdisk"));
  assert.deepEqual(
    listed.map(({ current: _, ...entry }) => entry),
    onDisk,
  );
  t.diagnostic(`after the restart the disk holds: ${listed.map((s) => s.name).join(", ")}`);
  assert.ok(
    listed.every((s) => s.name !== name || s.withRam),
    "a half job leaves no snapshot or a complete one",
  );
  assert.equal((await host.api.vm.get({ id: VM })).state, "running");
  await expectValues("a", "disk-aaa");
  if (listed.some((s) => s.name === name)) await host.api.snapshot.delete({ id: VM, name });
  assert.deepEqual(await names(), ["s1", "a", "b"]);
}

test("a service closed mid-snapshot leaves the qcow2 whole, and the next service lists what it holds", { timeout: 120_000 }, async (t) => {
  const qmp = host.service.vms.get(VM).instance!.qmp;
  const started = qmp.waitEvent("JOB_STATUS_CHANGE", { timeoutMs: 30_000, match: (e) => e.data.status === "running" });
  const taking = host.api.snapshot.take({ id: VM, name: "mid" });
  taking.catch(() => undefined);
  await started;
  await host.detach(); // the service goes away while QEMU's job runs
  await checkAfterCrash(t, "mid");
});

test("a service process killed with SIGKILL mid-snapshot: same", { timeout: 120_000 }, async (t) => {
  await host.detach();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./snapshot-crash-child.test-support.ts", import.meta.url)), dataDir, VM, "mid2"],
    { cwd: fileURLToPath(new URL("../../..", import.meta.url)), stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = once(child, "exit");
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("JOB-RUNNING")) resolve();
    });
    void exited.then(() => reject(new Error(`service process exited early: ${out}`)));
  });
  child.kill("SIGKILL");
  await exited;
  t.diagnostic(`service process said before SIGKILL: ${JSON.stringify(out.trim())}`);
  await checkAfterCrash(t, "mid2");
});

test("stopped: disk-only snapshots, and a RAM snapshot starts the VM", { timeout: 300_000 }, async () => {
  await host.api.vm.powerOff({ id: VM });
  await assert.rejects(host.api.snapshot.take({ id: VM, name: "r", withRam: true }), /needs it running or paused/);
  const off = await host.api.snapshot.take({ id: VM, name: "off1" }); // disk holds disk-aaa
  assert.deepEqual([off.withRam, off.vmStateBytes], [false, 0]);
  assert.deepEqual(await names(), ["s1", "a", "b", "off1"]);

  const view = await host.api.snapshot.revert({ id: VM, name: "b" }); // RAM snapshot while stopped: starts from it
  assert.deepEqual([view.state, view.reason], ["running", "restored"]);
  await expectValues("b", "disk-bbb");
  await assert.rejects(host.api.snapshot.revert({ id: VM, name: "off1" }), /holds no RAM .* power VM 'snappy' off/);

  await host.api.vm.powerOff({ id: VM });
  assert.equal((await host.api.snapshot.revert({ id: VM, name: "off1" })).state, "stopped");
  await host.api.snapshot.delete({ id: VM, name: "s1" });
  assert.deepEqual(await names(), ["a", "b", "off1"]);
  await host.api.vm.start({ id: VM });
  await waitSerial(host.service, VM, PROMPT);
  await expectValues("", "disk-aaa");
  await host.api.snapshot.delete({ id: VM, name: "a" }); // live delete
  assert.deepEqual(await names(), ["b", "off1"]);
  const liveDiskOnly = await host.api.snapshot.take({ id: VM, name: "live-disk", withRam: false });
  assert.deepEqual([liveDiskOnly.withRam, liveDiskOnly.vmStateBytes], [false, 0]);
  await assert.rejects(host.api.snapshot.take({ id: VM, name: "live-disk" }), /already has a snapshot named 'live-disk'/);
  await host.api.snapshot.delete({ id: VM, name: "live-disk" });
  assert.deepEqual(await imgSnapshots(host.service.paths.diskPath("sdisk")).then((l) => l.map((s) => s.name)), ["b", "off1"]);
});
