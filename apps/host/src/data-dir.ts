/** Making sure the data folder exists and takes writes, before anything else relies on it. */
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
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
