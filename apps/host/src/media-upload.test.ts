import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { discardUpload, handleMediaUpload } from "./media-upload.ts";

let dataDir: string;
let server: http.Server;
let port: number;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "upload-"));
  server = http.createServer((req, res) => {
    void handleMediaUpload(req, res, new URL(req.url ?? "/", "http://x"), { dataDir, maxBytes: 1 << 30 });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  server.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Resolves once `n` partial uploads are being written. */
async function partialFiles(n: number): Promise<void> {
  for (;;) {
    const names = await readdir(join(dataDir, "media")).catch(() => [] as string[]);
    if (names.filter((f) => f.startsWith(".partial-")).length >= n) return;
    await new Promise((r) => setImmediate(r));
  }
}

/** Starts an upload of `size` bytes of `fill`; the body is sent when `send()` is called. */
function upload(name: string, fill: number, size: number) {
  const req = http.request({
    host: "127.0.0.1",
    port,
    method: "PUT",
    path: `/media/upload?name=${name}`,
    headers: { "content-length": size },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });
  req.flushHeaders();
  return {
    status: () => status,
    sendHalf: () => req.write(Buffer.alloc(size / 2, fill)),
    finish: () => req.end(Buffer.alloc(size / 2, fill)),
  };
}

test("of two uploads of one name, the second to finish is refused with 409 and replaces nothing", async () => {
  const size = 64 * 1024;
  const slow = upload("race.iso", 0x61, size);
  slow.sendHalf();
  // The slow one has passed the start-of-upload check (its partial file exists); now a fast one comes and finishes first.
  await partialFiles(1);
  const fast = upload("race.iso", 0x62, size);
  fast.sendHalf();
  fast.finish();
  assert.equal(await fast.status(), 201);
  slow.finish();
  assert.equal(await slow.status(), 409);
  const kept = await readFile(join(dataDir, "media", "race.iso"));
  assert.ok(kept.equals(Buffer.alloc(size, 0x62)), "the first finisher's file stays");
  assert.deepEqual(await readdir(join(dataDir, "media")), ["race.iso"], "no partial file is left behind");
});

test("discarding an unrecorded upload removes only a file written before the given time", async () => {
  const media = join(dataDir, "media");
  await mkdir(media, { recursive: true });
  await writeFile(join(media, "orphan.iso"), "whole");
  await writeFile(join(media, "live.iso"), "whole");
  const now = Date.now();
  await utimes(join(media, "orphan.iso"), new Date(now - 60_000), new Date(now - 60_000));
  assert.deepEqual(await discardUpload(dataDir, "orphan.iso", now - 1000), { removed: true, present: false });
  assert.deepEqual(await discardUpload(dataDir, "live.iso", now - 1000), { removed: false, present: true }, "a newer file stays");
  assert.deepEqual(await discardUpload(dataDir, "never.iso", now), { removed: false, present: false });
  const left = await readdir(media);
  assert.ok(!left.includes("orphan.iso") && left.includes("live.iso"));
});
