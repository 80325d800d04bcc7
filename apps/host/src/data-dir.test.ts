import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { makeDataDirPrivate } from "./data-dir.ts";

const made: string[] = [];
after(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));
const mode = async (p: string) => (await stat(p)).mode & 0o777;

test("the data folder is no longer listable by others but stays traversable; uploads are private", async () => {
  const data = await mkdtemp(join(tmpdir(), "data-dir-"));
  made.push(data);
  await chmod(data, 0o755);
  await mkdir(join(data, "media"), { mode: 0o755 });
  await chmod(join(data, "media"), 0o755);
  await makeDataDirPrivate(data);
  assert.equal(await mode(data), 0o711, "others may pass through (the embedded PostgreSQL runs as its own user), not read");
  assert.equal(await mode(join(data, "media")), 0o700);
  assert.equal(await mode(join(data, "images")), 0o711, "apt's _apt user passes through while images are built");
});
