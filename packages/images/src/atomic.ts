import { access, chmod, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

const PARTIAL_PREFIX = ".partial-";
// A partial folder this old belongs to a build that died; a live build's folder is younger.
const STALE_MS = 60 * 60 * 1000;

export const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * Produces `name` inside `parent` so it appears complete or not at all: `produce` writes into a
 * private folder on the same filesystem, and one rename() publishes the result.
 * `produce` returns the path (inside the folder it was given) to publish.
 */
export async function publishAtomically(parent: string, name: string, produce: (workDir: string) => Promise<string>): Promise<void> {
  const workDir = await mkdtemp(join(parent, `${PARTIAL_PREFIX}${name}-`));
  try {
    // mkdtemp makes it 0700; apt's _apt user must reach download folders inside it.
    await chmod(workDir, 0o755);
    const result = await produce(workDir);
    try {
      await rename(result, join(parent, name));
    } catch (err) {
      // Another process published the same folder first: theirs is as good as ours.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

export async function removeStalePartials(parent: string, now = Date.now()): Promise<void> {
  for (const entry of await readdir(parent)) {
    if (!entry.startsWith(PARTIAL_PREFIX)) continue;
    const path = join(parent, entry);
    const info = await stat(path).catch(() => null);
    if (info !== null && now - info.mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true });
  }
}
