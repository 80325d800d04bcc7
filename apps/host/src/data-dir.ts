/** Making sure the data folder exists and takes writes, before anything else relies on it. */
import { chmod, mkdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * mkdir -p one level at a time: Node 20's recursive mkdir can spin forever on some refusals
 * (e.g. under /proc), and this must fail with a clear message instead.
 */
async function ensureDir(path: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (!(await stat(path)).isDirectory()) throw new Error(`${path} exists and is not a folder`);
      return;
    }
    if (code !== "ENOENT" || dirname(path) === path) throw err;
    await ensureDir(dirname(path));
    await mkdir(path, { mode: 0o700 });
  }
}

/** Throws when the folder cannot be created or written (root ignores permission bits, so really write). */
export async function ensureWritableDir(path: string): Promise<void> {
  await ensureDir(path);
  const probe = join(path, `.write-test-${process.pid}`);
  await writeFile(probe, "");
  await rm(probe, { force: true });
}

/**
 * The data folder's subfolders that hold guests' media (see path-guard.ts). Uploads are private to
 * the service's user; the built demo images (from public Debian packages) may be passed through,
 * not listed, because apt's sandbox user `_apt` must reach the download folder inside while they
 * are built (packages/images/src/atomic.ts).
 */
const MEDIA_FOLDERS = { media: 0o700, images: 0o711 } as const;

/**
 * Other local users may not read the data folder: its group and other read/write bits go, its
 * execute bits stay, because the embedded PostgreSQL runs as its own user (when started as root)
 * and must pass through to `postgres/` (docs/machine-facts.md). `media/` (uploaded ISOs and disk
 * images) is 0700; secrets.json, tls/ and host/ are made private where they are made.
 */
export async function makeDataDirPrivate(dataDir: string): Promise<void> {
  await chmod(dataDir, (await stat(dataDir)).mode & 0o7711);
  for (const [name, mode] of Object.entries(MEDIA_FOLDERS)) {
    const dir = join(dataDir, name);
    await mkdir(dir, { mode }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
    await chmod(dir, mode);
  }
}
