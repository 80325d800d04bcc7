import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { qcow2Backing } from "./guest-files.ts";

const dir = await mkdtemp(join(tmpdir(), "guest-files-"));
after(() => rm(dir, { recursive: true, force: true }));

/** A qcow2 header as qemu-img writes it: magic, version, backing file offset (u64) and size (u32), the name at that offset. */
function qcow2(backing?: string): Buffer {
  const image = Buffer.alloc(1024);
  image.writeUInt32BE(0x514649fb, 0);
  image.writeUInt32BE(3, 4);
  if (backing) {
    image.writeBigUInt64BE(512n, 8);
    image.writeUInt32BE(Buffer.byteLength(backing), 16);
    image.write(backing, 512);
  }
  return image;
}

test("the backing file of a qcow2 image, resolved against the image's folder", async () => {
  await writeFile(join(dir, "linked.qcow2"), qcow2("../templates/t1/base.qcow2"));
  await writeFile(join(dir, "absolute.qcow2"), qcow2("/srv/base.qcow2"));
  await writeFile(join(dir, "plain.qcow2"), qcow2());
  await writeFile(join(dir, "raw.img"), Buffer.alloc(1024));
  assert.equal(await qcow2Backing(join(dir, "linked.qcow2")), join(dir, "..", "templates", "t1", "base.qcow2"));
  assert.equal(await qcow2Backing(join(dir, "absolute.qcow2")), "/srv/base.qcow2");
  assert.equal(await qcow2Backing(join(dir, "plain.qcow2")), undefined);
  assert.equal(await qcow2Backing(join(dir, "raw.img")), undefined, "not a qcow2 image");
  assert.equal(await qcow2Backing(join(dir, "missing.qcow2")), undefined);
});
