/**
 * `PUT /media/upload?name=FILE` (host token): streams an ISO or disk image into `<dataDir>/media/`.
 * The body goes to a hidden partial file while its sha256 is computed; only a complete upload is
 * linked into place (never replacing a file of that name), so an interrupted one is never listed. Size is capped and free space checked
 * before the first byte is written.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { link, mkdir, readdir, rm, stat, statfs } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { MEDIA_NAME, MEDIA_NAME_RULE } from "@guesthouse/shared/media-name";

const SPARE_BYTES = 512 * 1024 * 1024; // never fill the disk the guests live on
const PARTIAL = ".partial-";

export interface UploadOptions {
  dataDir: string;
  maxBytes: number;
}

function answer(res: ServerResponse, status: number, body: object) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

export async function handleMediaUpload(req: IncomingMessage, res: ServerResponse, url: URL, opts: UploadOptions): Promise<void> {
  const name = url.searchParams.get("name") ?? "";
  if (!MEDIA_NAME.test(name)) {
    return answer(res, 400, { error: MEDIA_NAME_RULE });
  }
  const length = Number(req.headers["content-length"]);
  if (!Number.isSafeInteger(length) || length <= 0) return answer(res, 411, { error: "The upload needs a Content-Length" });
  if (length > opts.maxBytes) return answer(res, 413, { error: `The file is ${length} bytes; the limit is ${opts.maxBytes}` });
  const dir = join(opts.dataDir, "media");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, name);
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  )
    return answer(res, 409, { error: `A file named '${name}' is already in the library` });
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (length + SPARE_BYTES > free)
    return answer(res, 507, {
      error: `Not enough free space for '${name}': ${length} bytes needed plus ${SPARE_BYTES} kept spare, ${free} free`,
    });

  const partial = join(dir, `${PARTIAL}${randomBytes(6).toString("hex")}`);
  const hash = createHash("sha256");
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > length) return done(new Error("more bytes than Content-Length"));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(req, meter, createWriteStream(partial, { flags: "wx" }));
    if (received !== length) throw new Error(`upload ended after ${received} of ${length} bytes`);
    // link() never replaces: of two uploads of one name the second to finish gets EEXIST, where
    // rename() would swap the file under the first one's library row (and its sha256).
    await link(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    if ((error as NodeJS.ErrnoException).code === "EEXIST")
      return answer(res, 409, { error: `A file named '${name}' is already in the library` });
    // The disk filling up under the upload (another writer, a guest) is the host's condition, not bad input.
    if ((error as NodeJS.ErrnoException).code === "ENOSPC")
      return answer(res, 507, {
        error: `No space left on the host's disk while receiving '${name}' (${received} of ${length} bytes): nothing was kept; free some space and try again`,
      });
    if (!res.headersSent) answer(res, 400, { error: `Upload failed: ${(error as Error).message}` });
    return;
  }
  await rm(partial, { force: true });
  answer(res, 201, { path: target, sizeBytes: length, sha256: hash.digest("hex") });
}

/** `DELETE /media/upload?name=FILE`: removes a library file (the console refuses while it is in use). */
export async function handleMediaDelete(res: ServerResponse, url: URL, opts: UploadOptions): Promise<void> {
  const name = url.searchParams.get("name") ?? "";
  if (!MEDIA_NAME.test(name)) return answer(res, 400, { error: "Not a library file name" });
  await rm(join(opts.dataDir, "media", name), { force: true });
  answer(res, 200, { ok: true });
}

/**
 * At service start: the partial files of uploads a dead service was receiving. Nobody will finish
 * them (the console answered that upload with an error, and a retry starts a new file), and each
 * holds disk space the free-space check counts against the next upload. Returns how many went.
 */
export async function removePartialUploads(dataDir: string): Promise<number> {
  const dir = join(dataDir, "media");
  const partials = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.startsWith(PARTIAL));
  for (const name of partials) await rm(join(dir, name), { force: true });
  return partials.length;
}

/**
 * Removes library file `name` if it was written before `writtenBefore` (ms since the epoch): an
 * upload a dead console never recorded. A newer file is some live upload's, and stays.
 */
export async function discardUpload(dataDir: string, name: string, writtenBefore: number): Promise<{ removed: boolean; present: boolean }> {
  const file = join(dataDir, "media", name);
  const info = await stat(file).catch(() => undefined);
  if (!info) return { removed: false, present: false };
  if (info.mtimeMs >= writtenBefore) return { removed: false, present: true };
  await rm(file, { force: true });
  return { removed: true, present: false };
}
