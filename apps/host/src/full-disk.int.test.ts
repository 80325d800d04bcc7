/**
 * Fault: the data folder's filesystem fills up. The host service runs on a small tmpfs of its own
 * (mounted by the test, as root, and unmounted afterwards), with a running guest on it. A snapshot
 * with RAM, a new disk, an upload, a full clone and a template capture that do not fit each fail
 * with words that say what failed and that there is no space left; none leaves a partial file or
 * record; the guests keep running; and once space is freed the same operations succeed.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { open, mkdtemp, readdir, rm, rmdir, stat, statfs, truncate } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { handleMediaUpload } from "./media-upload.ts";
import { templatesOf } from "./templates.ts";
import { destroyHost, openHost, PROMPT, serialRun, testImages, tinySpec, waitSerial, type TestHost } from "./harness.test-support.ts";

const run = promisify(execFile);
const MiB = 1024 * 1024;
const VM = "fullvm";
// Big enough for the guest, its disk and the upload's free-space check (512 MiB kept spare).
const TMPFS_MIB = 640;
let dataDir = "";
let host: TestHost;
let mounted = false;
let server: http.Server;
const FILLER = () => join(dataDir, "filler");

before(async () => {
  const images = await testImages();
  dataDir = await mkdtemp(join(tmpdir(), "gh-full-"));
  await run("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_MIB}m,mode=0755`, "tmpfs", dataDir]);
  mounted = true;
  host = await openHost(dataDir);
  await host.api.disk.create({ id: "fulldisk", sizeBytes: 32 * MiB });
  await host.api.vm.define({ id: VM, spec: tinySpec(images, VM, { disks: [{ disk: "fulldisk" }] }) });
  await host.api.vm.start({ id: VM });
  await waitSerial(host.service, VM, PROMPT);
  server = http.createServer((req, res) => {
    void handleMediaUpload(req, res, new URL(req.url ?? "/", "http://x"), { dataDir, maxBytes: 1 << 30 });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});

after(async () => {
  server?.close();
  if (host) await destroyHost(host).catch(() => undefined);
  if (mounted) await run("umount", ["-l", dataDir]);
  await rmdir(dataDir).catch(() => undefined);
});

/** Writes a filler file until the filesystem refuses (ENOSPC): the data folder is full. */
async function fill(): Promise<void> {
  const file = await open(FILLER(), "a");
  const block = Buffer.alloc(MiB, 1);
  try {
    for (;;) await file.write(block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    await file.close();
  }
}

async function guestAnswers(): Promise<void> {
  const nonce = Math.floor(Math.random() * 1e6);
  await serialRun(host.service, VM, `echo alive-$((${nonce}+1))`, new RegExp(`alive-${nonce + 1}`));
  assert.equal((await host.api.vm.get({ id: VM })).state, "running");
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail("it succeeded on a full disk"),
    (e: Error) => e.message,
  );

const media = async () => readdir(join(dataDir, "media")).catch(() => [] as string[]);

/** Sends `size` bytes; `midway` runs once the first MiB is on its way. */
function upload(name: string, size: number, midway: () => Promise<void>): Promise<{ status: number; error: string }> {
  return new Promise((resolve, reject) => {
    const { port } = server.address() as AddressInfo;
    const req = http.request({ host: "127.0.0.1", port, method: "PUT", path: `/?name=${name}`, headers: { "content-length": size } });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, error: (JSON.parse(text) as { error: string }).error }));
    });
    req.on("error", (e) => answered || reject(e));
    req.write(Buffer.alloc(MiB, 2), () => {
      midway()
        .then(async () => {
          for (let sent = MiB; sent < size && !answered; sent += MiB) {
            if (!req.write(Buffer.alloc(MiB, 2))) await new Promise((r) => req.once("drain", r));
          }
          if (!answered) req.end();
        })
        .catch(reject);
    });
  });
}

test(
  "an upload that runs out of space half-way: 507 naming the file, no partial file, no library entry",
  { timeout: 120_000 },
  async () => {
    const answer = await upload("big.iso", 96 * MiB, async () => {
      await fill();
    });
    assert.equal(answer.status, 507, answer.error);
    assert.match(answer.error, /^No space left on the host's disk while receiving 'big\.iso'/);
    assert.deepEqual(await media(), [], "neither the file nor its partial is left");
    await guestAnswers();
  },
);

test("a file that cannot fit is refused before a byte is written, with the sizes", { timeout: 60_000 }, async () => {
  const answer = await upload("huge.iso", 64 * MiB, async () => {});
  assert.equal(answer.status, 507);
  assert.match(answer.error, /^Not enough free space for 'huge\.iso': 67108864 bytes needed plus \d+ kept spare, \d+ free$/);
  assert.deepEqual(await media(), []);
});

test(
  "a snapshot with RAM and a new disk on a full data folder: 'no space left', nothing half-made, the guest runs on",
  { timeout: 180_000 },
  async () => {
    await fill();
    const free = await statfs(dataDir);
    assert.ok(free.bavail * free.bsize < MiB, "the data folder is full");

    const snapshot = await failure(host.api.snapshot.take({ id: VM, name: "nospace" }));
    assert.match(snapshot, /taking snapshot 'nospace' of VM 'fullvm'/);
    assert.match(snapshot, /no space left/i);
    assert.deepEqual(await host.api.snapshot.list({ id: VM }), [], "no snapshot was recorded");
    await guestAnswers();

    const disk = await failure(host.api.disk.create({ id: "nospace", sizeBytes: 64 * MiB }));
    assert.match(disk, /creating disk 'nospace'/);
    assert.match(disk, /no space left/i);
    assert.deepEqual(
      (await host.api.disk.list()).map((d) => d.id),
      ["fulldisk"],
      "no disk was left behind",
    );
    assert.ok(!(await readdir(host.service.paths.disksDir)).some((f) => f.startsWith("nospace")), "no partial disk file");
    await guestAnswers();

    // Space again: the same snapshot goes through, so the failed one left the disk image sound.
    await rm(FILLER());
    const taken = await host.api.snapshot.take({ id: VM, name: "nospace" });
    assert.equal(taken.withRam, true);
    await guestAnswers();
  },
);

test(
  "a full clone and a template capture on a full data folder: 'no space left' naming each, nothing half-made, the source VM runs on",
  { timeout: 240_000 },
  async () => {
    // With room to spare: a template to clone from (of a stopped VM with a disk), and a running VM to capture.
    await host.api.disk.create({ id: "tpldisk", sizeBytes: 16 * MiB });
    await host.api.vm.define({ id: "tplsrc", spec: tinySpec(await testImages(), "tplsrc", { disks: [{ disk: "tpldisk" }] }) });
    await host.api.template.create({ id: "tplok", fromVm: "tplsrc" });
    await host.api.vm.define({ id: "capvm", spec: tinySpec(await testImages(), "capvm") });
    await host.api.vm.start({ id: "capvm" });
    await waitSerial(host.service, "capvm", PROMPT);
    const templatesDir = templatesOf(host.service).dir;
    const vmIds = async () => (await host.api.vm.list()).map((v) => v.id).sort();
    const before = await vmIds();

    await fill();
    const clone = await failure(host.api.template.clone({ templateId: "tplok", id: "fullclone", name: "Full clone", mode: "full" }));
    assert.match(clone, /^making full clone 'fullclone' of template 'tplok' failed: no space left on the host's disk/);
    assert.deepEqual(await vmIds(), before, "no VM was left behind");
    assert.ok(!(await readdir(host.service.paths.disksDir)).some((f) => f.startsWith("fullclone")), "no partial disk file");

    // A few MiB free: the capture's folder and notes fit, the guest's RAM state does not (QEMU's own failure).
    await truncate(FILLER(), (await stat(FILLER())).size - 4 * MiB);
    const capture = await failure(host.api.template.create({ id: "nospacetpl", fromVm: "capvm" }));
    assert.match(capture, /^capturing template 'nospacetpl' from VM 'capvm' failed: no space left on the host's disk/);
    assert.deepEqual(
      (await host.api.template.list()).map((t) => t.id),
      ["tplok"],
      "no template was recorded",
    );
    assert.deepEqual(await readdir(templatesDir), ["tplok"], "no partial capture folder");
    assert.equal((await host.api.vm.get({ id: "capvm" })).state, "running", "the source VM runs on");
    const nonce = Math.floor(Math.random() * 1e6);
    await serialRun(host.service, "capvm", `echo cap-$((${nonce}+1))`, new RegExp(`cap-${nonce + 1}`));
    await guestAnswers();

    // Space again: the same clone and capture go through, so the failed ones left nothing in their way.
    await rm(FILLER());
    const made = await host.api.template.clone({ templateId: "tplok", id: "fullclone", name: "Full clone", mode: "full" });
    assert.equal(made.id, "fullclone");
    const captured = await host.api.template.create({ id: "nospacetpl", fromVm: "capvm" });
    assert.equal(captured.withRam, true);
  },
);
