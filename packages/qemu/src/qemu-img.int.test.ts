/** qemu-img wrappers against the real binary (fast: no guest boots). */
import assert from "node:assert/strict";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { check, convert, createLinkedClone, createQcow2, info, QemuImgError, resize } from "./qemu-img.ts";

const MiB = 1024 * 1024;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "qemu-img-test-"));
});
after(() => rm(dir, { recursive: true, force: true }));

test("create (thin), clone, resize, info, check", async () => {
  const base = join(dir, "base.qcow2");
  await createQcow2({ path: base, sizeBytes: 1024 * MiB });
  const i = await info({ path: base, format: "qcow2" });
  assert.equal(i.format, "qcow2");
  assert.equal(i["virtual-size"], 1024 * MiB);
  assert.ok((i["actual-size"] ?? 0) < MiB, "thin: a 1 GiB disk takes under 1 MiB");

  const clone = join(dir, "clone.qcow2");
  await createLinkedClone({ path: clone, backingPath: "base.qcow2" });
  const c = await info({ path: clone });
  assert.equal(c["backing-filename"], "base.qcow2");
  assert.equal(c["full-backing-filename"], base);
  assert.equal(c["backing-filename-format"], "qcow2");

  await resize({ path: clone, sizeBytes: 2048 * MiB });
  assert.equal((await info({ path: clone }))["virtual-size"], 2048 * MiB);
  const ok = await check({ path: clone });
  assert.equal(ok["check-errors"], 0);
  assert.equal(ok.corruptions ?? 0, 0);
});

test("convert imports a raw image into qcow2", async () => {
  const raw = join(dir, "disk.raw");
  await writeFile(raw, Buffer.alloc(4096, 7));
  await truncate(raw, 16 * MiB);
  const out = join(dir, "imported.qcow2");
  await convert({ source: raw, sourceFormat: "raw", target: out });
  const i = await info({ path: out, format: "qcow2" });
  assert.equal(i["virtual-size"], 16 * MiB);
});

test("failures carry qemu-img's own words", async () => {
  await assert.rejects(info({ path: join(dir, "missing.qcow2") }), (err: Error) => {
    assert.ok(err instanceof QemuImgError);
    assert.match(err.message, /qemu-img info failed: .*No such file/);
    return true;
  });
  await assert.rejects(info({ path: "/dev/null", binary: "/nonexistent/qemu-img" }), /is not installed/);
});
