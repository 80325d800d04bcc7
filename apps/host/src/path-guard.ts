/**
 * Only files in the folders guests' media live in may be handed to QEMU: the data folder's
 * `media/` (uploads) and `images/` (the demo guests), and each HOST_MEDIA_DIRS folder. The rest of
 * the data folder (secrets.json, postgres/, tls/, the service's own host/) is not media. Symlinks
 * are resolved first, so a link cannot point the check somewhere else.
 */
import { realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { BadInputError } from "./errors.ts";

export interface AllowedRoots {
  dataDir: string;
  mediaDirs: readonly string[];
}

/** The data folder's subfolders that hold guests' media (uploads; built guest images). */
export const DATA_MEDIA_FOLDERS = ["media", "images"] as const;

const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

async function realOrSelf(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return p;
  }
}

/** Returns the real path of an existing regular file under an allowed root, or throws BadInputError. */
export async function resolveAllowedFile(path: string, roots: AllowedRoots, what: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new BadInputError(`${what} '${path}' does not exist`);
  }
  const data = await realOrSelf(roots.dataDir);
  const places = await Promise.all([...DATA_MEDIA_FOLDERS.map((f) => join(data, f)), ...roots.mediaDirs].map(realOrSelf));
  if (!places.some((dir) => inside(real, dir))) {
    throw new BadInputError(`${what} '${path}' is outside the allowed folders (${places.join(", ")})`);
  }
  const st = await stat(real);
  if (!st.isFile()) throw new BadInputError(`${what} '${path}' is not a regular file`);
  return real;
}
