/**
 * A VM made from a disk image in the library (New VM → "A disk image from the library"): the host
 * copies the image into the VM's first disk as a task whose percent is qemu-img's own, a cancel
 * leaves neither a disk nor a VM, and the guest reads the image's data from its disk.
 *
 * Real parts: the stack's PostgreSQL, the host service as its own process, qemu-img copying a 2 GiB
 * image full of data, a tiny Linux guest.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createHostGateway, specForVm } from "@guesthouse/api";
import { ensureImages, TINY_PROMPT } from "@guesthouse/images";
import { freePort, HostProcess, IMAGES, TOKEN, until, valuesWhile } from "./crash-host.test-support.ts";
import { adminCaller, consoleLoops, serialText, shell } from "./move-world.test-support.ts";

const run = promisify(execFile);
let t: TestDatabase;
let host: HostProcess;
let loops: { stop(): void };
let admin: Awaited<ReturnType<typeof adminCaller>>["admin"];
let hostId = "";
let imageId = "";
let kernelBoot: { kernel: string; initrd: string; cmdline: string };

before(async () => {
  const { tinyLinux } = await ensureImages({ dataDir: IMAGES });
  kernelBoot = { kernel: tinyLinux.kernel, initrd: tinyLinux.initrd, cmdline: tinyLinux.cmdline };
  t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
  host = new HostProcess(await mkdtemp(join(tmpdir(), "gh-disk-import-")), await freePort());
  await host.start();
  hostId = (await t.db.host.create({ data: { name: "local", url: host.url, tokenHash: "-", state: "online" } })).id;
  const hosts = createHostGateway(t.db, TOKEN);
  loops = consoleLoops(t, hosts);
  ({ admin } = await adminCaller(t, hosts, "importer"));
  // An old server's disk as an upload leaves it in the host's media folder: 2 GiB of data, 'A's first.
  const media = join(host.dataDir, "media");
  await mkdir(media, { recursive: true });
  const path = join(media, "old-server.qcow2");
  await run("qemu-img", ["create", "-q", "-f", "qcow2", path, "2G"]);
  const writes = [0, 1, 2, 3].flatMap((i) => ["-c", `write -P 0x${(0x41 + i).toString(16)} ${i * 512}M 512M`]);
  await run("qemu-io", ["-f", "qcow2", ...writes, path]);
  imageId = (await t.db.media.create({ data: { name: "old-server.qcow2", kind: "disk", path, sizeBytes: 0n, sha256: "-", hostId } })).id;
});

after(async () => {
  loops?.stop();
  for (const vm of await host.client.vm.list.query().catch(() => [])) {
    await host.client.vm.powerOff.mutate({ id: vm.id }).catch(() => undefined);
    await host.client.vm.delete.mutate({ id: vm.id, deleteDisks: true }).catch(() => undefined);
  }
  await host.stop();
  await rm(host.dataDir, { recursive: true, force: true });
  await t.drop();
});

const fromImage = (name: string) => admin.vm.create({ name, source: { kind: "image", mediaId: imageId }, memoryMiB: 128, nics: [] });
const latestCreate = () => t.db.task.findFirst({ where: { kind: "vm.create", vmName: { not: "" } }, orderBy: { createdAt: "desc" } });

test(
  "a VM made from a disk image: its task follows qemu-img's copy, and the guest reads the image's data",
  { timeout: 300_000 },
  async () => {
    const making = fromImage("imported");
    const seen = await valuesWhile(making, async () => (await latestCreate())?.progress);
    const { id } = await making;
    assert.ok(
      seen.some((p) => p > 10 && p < 55),
      `a figure of qemu-img's between the console's own 10 and 55, seen: ${seen.join(" → ")}`,
    );
    const vm = await admin.vm.get({ vmId: id });
    assert.equal(vm.disks.length, 1);
    assert.equal(vm.disks[0]!.sizeBytes, 2 * 1024 ** 3, "the disk is the image's size");
    assert.equal(vm.osLabel, "old-server.qcow2");
    // The image holds no boot loader: the tiny Linux kernel boots the VM, and reads the disk.
    await t.db.vm.update({ where: { id }, data: { kernelBoot } });
    await host.client.vm.update.mutate({ id, spec: await specForVm(t.db, id) });
    await admin.vm.start({ vmId: id });
    await until("the guest's prompt", async () => (await serialText(host.client, id)).includes(TINY_PROMPT), 120_000);
    await shell(host.client, id, "echo got-$(head -c 8 /dev/vda)", "got-AAAAAAAA");
  },
);

test("an import cancelled in the middle leaves no VM and no disk, and its task says cancelled", { timeout: 300_000 }, async () => {
  const making = fromImage("import-cancelled");
  making.catch(() => undefined);
  const task = await until("the copy to be under way", async () => {
    const row = await latestCreate();
    return row?.vmName === "import-cancelled" && row.progress > 10 ? row : undefined;
  });
  await admin.task.cancel({ id: task.id });
  await assert.rejects(making, /cancelled/);
  const vmId = (task.input as { vmId: string }).vmId;
  assert.equal(await t.db.vm.findUnique({ where: { id: vmId } }), null, "no VM row");
  assert.ok(!(await host.client.disk.list.query()).some((d) => d.id.startsWith(vmId)), "no disk on the host");
  const files = await readdir(join(host.dataDir, "host", "disks"));
  assert.deepEqual(
    files.filter((f) => f.startsWith(vmId)),
    [],
    "no partial copy left",
  );
  assert.equal((await t.db.task.findUniqueOrThrow({ where: { id: task.id } })).state, "cancelled");
});

test("an image that is not a disk image, or a host the image is not on, is refused naming the field", async () => {
  const iso = await t.db.media.create({
    data: { name: "installer.iso", kind: "iso", path: "/nowhere.iso", sizeBytes: 0n, sha256: "-", hostId },
  });
  await assert.rejects(
    admin.vm.create({ name: "not-a-disk", source: { kind: "image", mediaId: iso.id }, nics: [] }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, "BAD_REQUEST");
      assert.match(err.message, /^source\.mediaId: that disk image is not in the library/);
      return true;
    },
  );
  const other = await t.db.host.create({ data: { name: "elsewhere", url: "http://127.0.0.1:9", tokenHash: "-" } });
  await assert.rejects(admin.vm.create({ name: "wrong-host", source: { kind: "image", mediaId: imageId }, nics: [], hostId: other.id }), {
    code: "BAD_REQUEST",
    message: /^hostId: the disk image 'old-server.qcow2' is on host 'local'/,
  });
  await t.db.host.delete({ where: { id: other.id } });
});
