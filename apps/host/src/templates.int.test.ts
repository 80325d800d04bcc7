/** Templates from running and stopped VMs; instant, linked and full clones; delete refused while in use. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { qemuImg } from "@guesthouse/qemu";
import { templatesOf } from "./templates.ts";
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
let host: TestHost;
const sha = async (f: string) =>
  createHash("sha256")
    .update(await readFile(f))
    .digest("hex");
const READ_VDA = "echo got-$(head -c 16 /dev/vda | tr -d '\\000')";

before(async () => {
  const images = await testImages();
  host = await openHost(await tempDataDir());
  await host.api.disk.create({ id: "tl-disk", sizeBytes: 32 * MiB });
  await host.api.vm.define({ id: "tl", spec: tinySpec(images, "tl", { disks: [{ disk: "tl-disk" }] }) });
  await host.api.vm.start({ id: "tl" });
  await waitSerial(host.service, "tl", PROMPT);
  // A bare disk-only template source, never started.
  await host.api.disk.create({ id: "cold-disk", sizeBytes: 1 * MiB });
  await host.api.vm.define({ id: "cold", spec: tinySpec(images, "cold", { disks: [{ disk: "cold-disk" }] }) });
});
after(() => destroyHost(host));

test("a running VM becomes a RAM template; three instant clones run isolated from it and each other", { timeout: 300_000 }, async () => {
  await serialRun(host.service, "tl", "printf tpl-base > /dev/vda; sync; echo wrote-ok", /\nwrote-ok\r?\n/);
  const tpl = await host.api.template.create({ id: "tpl", fromVm: "tl" });
  assert.equal(tpl.withRam, true);
  assert.deepEqual(tpl.diskIds, ["tl-disk"]);
  assert.equal(tpl.spec.name, "tl");
  assert.ok(!(await host.api.vm.list()).some((v) => v.id === "tl"), "the source VM is gone");
  assert.deepEqual(
    (await host.api.template.list()).map((t) => t.id),
    ["tpl"],
  );
  const store = templatesOf(host.service);
  const disk = store.diskPath("tpl", "tl-disk");
  const ram = store.ramFile("tpl");
  // ADR 0025: the base is readable to QEMU's user only (as root), the RAM state to root only (clones get an fd).
  const dedicated = host.service.vms.guestFiles.user.dedicated;
  assert.equal((await stat(disk)).mode & 0o777, dedicated ? 0o440 : 0o444);
  if (dedicated) assert.equal((await stat(disk)).gid, host.service.vms.guestFiles.user.gid);
  assert.equal((await stat(ram)).mode & 0o777, 0o400);
  const before = { disk: await sha(disk), ram: await sha(ram) };

  for (const n of [1, 2, 3]) {
    const t0 = Date.now();
    const view = await host.api.template.clone({ templateId: "tpl", id: `clone-${n}`, name: `Clone ${n}`, mode: "instant" });
    assert.equal(view.state, "running");
    assert.equal(view.spec.name, `Clone ${n}`);
    assert.deepEqual(
      view.spec.disks.map((d) => d.disk),
      [`clone-${n}-disk0`],
    );
    console.log(`instant clone ${n}: ${Date.now() - t0} ms`);
  }
  for (const n of [1, 2, 3]) {
    await serialRun(host.service, `clone-${n}`, `hostname clone-${n}; hostname`, new RegExp(`\\nclone-${n}\\r?\\n`));
    await serialRun(host.service, `clone-${n}`, `printf value-0${n} > /dev/vda; sync; echo wrote-ok`, /\nwrote-ok\r?\n/);
  }
  for (const n of [1, 2, 3]) {
    // Drop the page cache so the read really comes from each clone's own disk.
    await serialRun(host.service, `clone-${n}`, `echo 3 > /proc/sys/vm/drop_caches; ${READ_VDA}`, new RegExp(`\\ngot-value-0${n}\\r?\\n`));
  }
  const info = await host.api.disk.info({ id: "clone-1-disk0" });
  assert.equal(info.backingDisk, "tl-disk");
  assert.deepEqual({ disk: await sha(disk), ram: await sha(ram) }, before, "template files unchanged");
});

test("template.delete is refused while clones depend on it, naming them", async () => {
  await assert.rejects(host.api.template.delete({ id: "tpl" }), (err: Error & { code?: string }) => {
    assert.equal(err.code, "CONFLICT");
    assert.match(err.message, /dependants: clone-1, clone-2, clone-3/);
    return true;
  });
  for (const n of [1, 2, 3]) {
    await host.api.vm.powerOff({ id: `clone-${n}` });
    await host.api.vm.delete({ id: `clone-${n}`, deleteDisks: true });
  }
});

test("linked clones are backed by the template, full clones are independent", { timeout: 120_000 }, async () => {
  const linked = await host.api.template.clone({ templateId: "tpl", id: "lk", name: "Linked", mode: "linked" });
  const full = await host.api.template.clone({ templateId: "tpl", id: "fu", name: "Full", mode: "full" });
  assert.equal(linked.state, "stopped");
  assert.equal(full.state, "stopped");
  const store = templatesOf(host.service);
  const lkInfo = await qemuImg.info({ path: host.service.paths.diskPath("lk-disk0"), format: "qcow2" });
  assert.equal(resolve(lkInfo["full-backing-filename"] ?? ""), store.diskPath("tpl", "tl-disk"));
  const fuInfo = await qemuImg.info({ path: host.service.paths.diskPath("fu-disk0"), format: "qcow2" });
  assert.equal(fuInfo["backing-filename"], undefined);
  assert.equal((await host.api.disk.info({ id: "fu-disk0" })).backingDisk, undefined);
  await assert.rejects(host.api.template.delete({ id: "tpl" }), /dependants: lk$/);
  await host.api.vm.delete({ id: "lk", deleteDisks: true });
  assert.deepEqual(await host.api.template.delete({ id: "tpl" }), { id: "tpl" });
  await assert.rejects(access(store.folder("tpl")), "template folder removed");
  // The full clone still boots on its own copy and sees the template's data.
  await host.api.vm.start({ id: "fu" });
  await waitSerial(host.service, "fu", PROMPT);
  await serialRun(host.service, "fu", READ_VDA, /\ngot-tpl-base\r?\n/);
  await host.api.vm.powerOff({ id: "fu" });
});

test("disk-only templates and bad inputs are refused clearly", async () => {
  const cold = await host.api.template.create({ id: "cold-tpl", fromVm: "cold" });
  assert.equal(cold.withRam, false);
  await assert.rejects(host.api.template.clone({ templateId: "cold-tpl", id: "x", name: "X", mode: "instant" }), /holds no RAM state/);
  await assert.rejects(host.api.template.create({ id: "cold-tpl", fromVm: "fu" }), /already exists/);
  await assert.rejects(host.api.template.create({ id: "t2", fromVm: "nope" }), /no VM with id 'nope'/);
  await assert.rejects(host.api.template.create({ id: "a;rm -rf", fromVm: "fu" }), /lower-case letters/);
  await assert.rejects(host.api.template.clone({ templateId: "nope", id: "x", name: "X", mode: "linked" }), /no template with id 'nope'/);
  await assert.rejects(host.api.template.clone({ templateId: "cold-tpl", id: "fu", name: "X", mode: "linked" }), /VM 'fu' already exists/);
  await assert.rejects(host.api.template.clone({ templateId: "cold-tpl", id: "a".repeat(36), name: "X", mode: "full" }), /too long/);
  await assert.rejects(host.api.template.clone({ templateId: "cold-tpl", id: "y", name: "X", mode: "fast" as "full" }), /mode/);
  await assert.rejects(host.api.template.delete({ id: "../etc" }), /lower-case letters/);
  assert.deepEqual(
    (await host.api.template.list()).map((t) => t.id),
    ["cold-tpl"],
  );
  assert.ok(!(await host.api.disk.list()).some((d) => d.id.startsWith("x-") || d.id.startsWith("y-")), "no disks left behind");
});

test("a disk that is a linked clone is flattened into the template; a base of clones is refused", async () => {
  const images = await testImages();
  await host.api.disk.create({ id: "fb-base", sizeBytes: 1 * MiB });
  await host.api.disk.clone({ id: "fb-child", from: "fb-base" });
  await host.api.vm.define({ id: "basevm", spec: tinySpec(images, "basevm", { disks: [{ disk: "fb-base" }] }) });
  await host.api.vm.define({ id: "flat", spec: tinySpec(images, "flat", { disks: [{ disk: "fb-child" }] }) });
  await assert.rejects(host.api.template.create({ id: "base-tpl", fromVm: "basevm" }), /base of linked clone 'fb-child'/);
  assert.equal((await host.api.template.create({ id: "flat-tpl", fromVm: "flat" })).withRam, false);
  const info = await qemuImg.info({ path: templatesOf(host.service).diskPath("flat-tpl", "fb-child"), format: "qcow2" });
  assert.equal(info["backing-filename"], undefined);
  assert.ok(
    (await host.api.disk.list()).some((d) => d.id === "fb-base"),
    "the old base stays",
  );
  assert.ok(!(await host.api.disk.list()).some((d) => d.id === "fb-child"), "the clone moved into the template");
});

test(
  "a running VM's capture cancelled while its linked-clone disk is flattened keeps the VM's disk, and its RAM as a saved state",
  { timeout: 300_000 },
  async () => {
    const images = await testImages();
    // A linked clone over a base that holds data: the capture must copy it all into one file.
    const base = await host.api.disk.create({ id: "cf-base", sizeBytes: 2048 * MiB });
    await promisify(execFile)("qemu-io", ["-f", "qcow2", "-c", "write -P 0x42 0 1536M", base.path]);
    await host.api.disk.clone({ id: "cf-child", from: "cf-base" });
    await host.api.vm.define({ id: "cf", spec: tinySpec(images, "cf", { disks: [{ disk: "cf-child" }] }) });
    await host.api.vm.start({ id: "cf" });
    await waitSerial(host.service, "cf", PROMPT);
    await serialRun(host.service, "cf", "export MARK=kept-$((40+2)); echo set-ok", /\nset-ok\r?\n/);
    const capture = host.api.template.create({ id: "cf-tpl", fromVm: "cf" });
    capture.catch(() => undefined);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const p = await host.api.vm.progress({ id: "cf" });
      if (p?.detail.startsWith("disk 1 of 1") && p.percent < 90) break;
      assert.ok(Date.now() < deadline, `the flatten to be under way, last seen: ${JSON.stringify(p)}`);
      await new Promise((r) => setTimeout(r, 20)); // the next look at the host's figures
    }
    assert.deepEqual(await host.api.vm.cancel({ id: "cf" }), { cancelled: true });
    await assert.rejects(capture, /the capture of template 'cf-tpl' was cancelled/);
    assert.equal((await host.api.vm.get({ id: "cf" })).state, "suspended", "its RAM was saved before the cancel, and is kept");
    assert.ok(!(await host.api.template.list()).some((t) => t.id === "cf-tpl"), "no template");
    const disk = (await host.api.disk.list()).find((d) => d.id === "cf-child");
    assert.equal(disk?.backingDisk, "cf-base", "the VM has its linked clone back, as it was");
    await host.api.vm.restore({ id: "cf" });
    await serialRun(host.service, "cf", "echo got-$MARK", /\ngot-kept-42\r?\n/);
    await host.api.vm.powerOff({ id: "cf" });
  },
);
