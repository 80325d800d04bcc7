/** Bad requests get clear errors and change nothing: no folders, no disks, no processes left behind. */
import assert from "node:assert/strict";
import { readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { totalmem } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ImageManifest } from "@guesthouse/images";
import { destroyHost, openHost, tempDataDir, testImages, tinySpec, type TestHost } from "./harness.test-support.ts";

let host: TestHost;
let images: ImageManifest;
const hostMiB = Math.floor(totalmem() / 1024 / 1024);

before(async () => {
  images = await testImages();
  host = await openHost(await tempDataDir());
});
after(() => destroyHost(host));

async function refused(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: Error & { code?: string }) => {
    assert.equal(err.code, code, `code for: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

const folders = async () => (await readdir(host.service.paths.vmsDir)).sort();
const disks = async () => (await readdir(host.service.paths.disksDir)).sort();
const qemuProcesses = async () => {
  const out: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmd.includes(host.dataDir)) out.push(pid);
  }
  return out;
};

const bare = (name: string, memoryMiB = 64) => ({
  name,
  memoryMiB,
  cdrom: null,
  disks: [],
  boot: [],
  profile: "modern" as const,
  cpus: 1,
  network: "none" as const,
});

test("RAM over the host's capacity is refused at define", async () => {
  await refused(
    host.api.vm.define({ id: "huge", spec: bare("huge", hostMiB + 1024) }),
    "PRECONDITION_FAILED",
    new RegExp(`VM 'huge' asks for ${hostMiB + 1024} MiB of RAM but this host has only \\d+ MiB`),
  );
  assert.deepEqual(await folders(), []);
});

test("RAM already given to running guests is refused at start", { timeout: 60_000 }, async () => {
  const big = Math.floor(hostMiB * 0.6);
  await host.api.vm.define({ id: "big1", spec: bare("big1", big) });
  await host.api.vm.define({ id: "big2", spec: bare("big2", big) });
  await host.api.vm.start({ id: "big1" });
  await refused(host.api.vm.start({ id: "big2" }), "PRECONDITION_FAILED", /VM 'big2' asks for \d+ MiB of RAM but only \d+ MiB/);
  assert.equal((await host.api.vm.get({ id: "big2" })).state, "stopped");
  await host.api.vm.powerOff({ id: "big1" });
  await host.api.vm.delete({ id: "big1" });
  await host.api.vm.delete({ id: "big2" });
  assert.deepEqual(await folders(), []);
  assert.deepEqual(await qemuProcesses(), []);
});

test("ISO paths must exist and lie inside the allowed folders", async () => {
  const withIso = (iso: string) => ({ ...bare("cd"), cdrom: { iso } });
  await refused(
    host.api.vm.define({ id: "cd", spec: withIso("/etc/passwd") }),
    "BAD_REQUEST",
    /ISO '\/etc\/passwd' is outside the allowed folders/,
  );
  await refused(host.api.vm.define({ id: "cd", spec: withIso(join(host.dataDir, "nope.iso")) }), "BAD_REQUEST", /does not exist/);
  await refused(
    host.api.vm.define({ id: "cd", spec: withIso(join(host.dataDir, "..", "..", "etc", "passwd")) }),
    "BAD_REQUEST",
    /outside the allowed folders/,
  );
  const link = join(host.dataDir, "sneaky.iso");
  await symlink("/etc/shadow", link);
  await refused(host.api.vm.define({ id: "cd", spec: withIso(link) }), "BAD_REQUEST", /outside the allowed folders/);
  // The service's own files (other VMs' state) are off limits even though they are in the data folder.
  await writeFile(join(host.service.paths.root, "x.iso"), "x");
  await refused(host.api.vm.define({ id: "cd", spec: withIso(join(host.service.paths.root, "x.iso")) }), "BAD_REQUEST", /outside/);
  await refused(host.api.vm.define({ id: "cd", spec: withIso("relative.iso") }), "BAD_REQUEST", /path must be absolute/);
  assert.deepEqual(await folders(), []);
});

test("ids and names with traversal or shell characters are refused", async () => {
  for (const id of ["../evil", "a/b", "A", "-lead", ".", "x".repeat(40), "semi;colon", "a b"]) {
    await refused(host.api.vm.define({ id, spec: bare("ok") }), "BAD_REQUEST", /VM id: use 1–36 characters/);
  }
  await refused(host.api.vm.define({ id: "okid", spec: bare("$(reboot); `id`") }), "BAD_REQUEST", /name: letters, digits/);
  await refused(host.api.disk.create({ id: "../../etc/x", sizeBytes: 1 << 20 }), "BAD_REQUEST", /disk id/);
  await refused(host.api.vm.get({ id: "../host" }), "BAD_REQUEST", /VM id/);
  assert.deepEqual(await folders(), []);
  assert.deepEqual(await disks(), []);
});

test("a spec naming a missing disk, too many IDE disks, or a bad import is refused", async () => {
  await refused(
    host.api.vm.define({ id: "nodisk", spec: { ...bare("nodisk"), disks: [{ disk: "ghost", readOnly: false }] } }),
    "BAD_REQUEST",
    /disk 'ghost' does not exist/,
  );
  for (const d of ["d1", "d2", "d3", "d4"]) await host.api.disk.create({ id: d, sizeBytes: 1 << 20 });
  const four = ["d1", "d2", "d3", "d4"].map((disk) => ({ disk, readOnly: false }));
  await refused(
    host.api.vm.define({ id: "old", spec: { ...bare("old"), profile: "legacy", cdrom: {}, disks: four } }),
    "BAD_REQUEST",
    /legacy profile takes at most 3 disks with a CD-ROM drive/,
  );
  await refused(host.api.disk.import({ id: "stolen", source: "/etc/passwd" }), "BAD_REQUEST", /outside the allowed folders/);
  await refused(host.api.disk.create({ id: "d1", sizeBytes: 1 << 20 }), "CONFLICT", /disk 'd1' already exists/);
  await refused(host.api.disk.resize({ id: "d1", sizeBytes: 1 << 19 }), "BAD_REQUEST", /at least 1 MiB/);
  await refused(host.api.disk.clone({ id: "c1", from: "ghost" }), "NOT_FOUND", /no disk with id 'ghost'/);
  for (const d of ["d1", "d2", "d3", "d4"]) await host.api.disk.delete({ id: d });
  assert.deepEqual(await folders(), []);
  assert.deepEqual(await disks(), []);
});

test("operations in the wrong state say what is wrong", { timeout: 60_000 }, async () => {
  await host.api.vm.define({ id: "web1", spec: tinySpec(images, "web1") });
  await refused(host.api.vm.pause({ id: "web1" }), "CONFLICT", /VM 'web1' is not running/);
  await refused(host.api.vm.get({ id: "nosuch" }), "NOT_FOUND", /no VM with id 'nosuch'/);
  // Two starts at once: operations on one VM are serialised, so exactly one wins.
  const both = await Promise.allSettled([host.api.vm.start({ id: "web1" }), host.api.vm.start({ id: "web1" })]);
  assert.deepEqual(both.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
  const loser = both.find((r) => r.status === "rejected") as PromiseRejectedResult;
  assert.equal(loser.reason.message, "VM 'web1' is already running");
  await refused(host.api.vm.start({ id: "web1" }), "CONFLICT", /^VM 'web1' is already running$/);
  await refused(
    host.api.vm.update({ id: "web1", spec: tinySpec(images, "web1") }),
    "CONFLICT",
    /power it off before changing its hardware/,
  );
  await refused(host.api.vm.delete({ id: "web1" }), "CONFLICT", /power it off before deleting it/);
  await refused(host.api.vm.define({ id: "web1", spec: tinySpec(images, "web1") }), "CONFLICT", /VM 'web1' already exists/);
  await host.api.vm.powerOff({ id: "web1" });
  await host.api.vm.delete({ id: "web1" });
  assert.deepEqual(await folders(), []);
  assert.deepEqual(await qemuProcesses(), []);
});
