import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BadInputError } from "./errors.ts";
import { resolveAllowedFile } from "./path-guard.ts";

let root: string;
let data: string;
let media: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "guard-"));
  data = join(root, "data");
  media = join(root, "media");
  await mkdir(join(data, "host", "vms", "a"), { recursive: true });
  await mkdir(join(data, "isos"), { recursive: true });
  await mkdir(join(data, "media"), { recursive: true });
  await mkdir(join(data, "images"), { recursive: true });
  await mkdir(join(data, "postgres"), { recursive: true });
  await mkdir(join(data, "tls"), { recursive: true });
  await writeFile(join(data, "media", "up.iso"), "x");
  await writeFile(join(data, "images", "vmlinuz"), "x");
  await writeFile(join(data, "secrets.json"), "{}");
  await writeFile(join(data, "postgres", "pg_hba.conf"), "x");
  await writeFile(join(data, "tls", "key.pem"), "x");
  await mkdir(media);
  await writeFile(join(data, "isos", "ok.iso"), "x");
  await writeFile(join(data, "host", "vms", "a", "saved.state"), "x");
  await writeFile(join(media, "m.iso"), "x");
  await writeFile(join(root, "outside.iso"), "x");
  await symlink(join(root, "outside.iso"), join(data, "media", "link.iso"));
  await symlink(join(media, "m.iso"), join(data, "media", "to-media.iso"));
});
after(() => rm(root, { recursive: true, force: true }));

const roots = () => ({ dataDir: data, mediaDirs: [media] });

test("files in the data folder's media/ and images/, or a media folder, pass, as real paths", async () => {
  assert.equal(await resolveAllowedFile(join(data, "media", "up.iso"), roots(), "ISO"), join(data, "media", "up.iso"));
  assert.equal(await resolveAllowedFile(join(data, "images", "vmlinuz"), roots(), "kernel"), join(data, "images", "vmlinuz"));
  assert.equal(await resolveAllowedFile(join(media, "m.iso"), roots(), "ISO"), join(media, "m.iso"));
  assert.equal(await resolveAllowedFile(join(data, "media", "to-media.iso"), roots(), "ISO"), join(media, "m.iso"));
});

test("the rest of the data folder is not media: secrets, the database, TLS keys, other folders", async () => {
  for (const p of [
    join(data, "secrets.json"),
    join(data, "postgres", "pg_hba.conf"),
    join(data, "tls", "key.pem"),
    join(data, "isos", "ok.iso"),
    join(data, "media", "..", "secrets.json"),
  ]) {
    await assert.rejects(
      resolveAllowedFile(p, roots(), "ISO"),
      (e: Error) => e instanceof BadInputError && /outside the allowed folders/.test(e.message),
      p,
    );
  }
});

test("outside paths, traversal, symlinks out, the service's own area and folders are refused", async () => {
  const bad = [
    [join(root, "outside.iso"), /outside the allowed folders/],
    [join(data, "isos", "..", "..", "outside.iso"), /outside the allowed folders/],
    [join(data, "media", "link.iso"), /outside the allowed folders/],
    [join(data, "host", "vms", "a", "saved.state"), /outside the allowed folders/],
    [join(data, "media"), /not a regular file/],
    [join(data, "nope.iso"), /does not exist/],
    [`${data}-sibling/x.iso`, /does not exist/],
  ] as const;
  for (const [p, msg] of bad) {
    await assert.rejects(resolveAllowedFile(p, roots(), "ISO"), (e: Error) => e instanceof BadInputError && msg.test(e.message), p);
  }
});
