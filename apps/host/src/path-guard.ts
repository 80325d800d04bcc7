/**
 * Only files inside the data folder (but outside the service's private `host/` area) or an
 * explicitly allowed media folder may be handed to QEMU. Symlinks are resolved first, so a link
 * cannot point the check somewhere else.
 */
import { realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { BadInputError } from "./errors.ts";

export interface AllowedRoots {
  dataDir: string;
  mediaDirs: readonly string[];
}

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
  const privateArea = join(data, "host");
  const media = await Promise.all(roots.mediaDirs.map(realOrSelf));
  const allowed = (inside(real, data) && !inside(real, privateArea)) || media.some((dir) => inside(real, dir));
  if (!allowed) {
    const places = [`${data} (except ${privateArea})`, ...media].join(", ");
    throw new BadInputError(`${what} '${path}' is outside the allowed folders (${places})`);
  }
  const st = await stat(real);
  if (!st.isFile()) throw new BadInputError(`${what} '${path}' is not a regular file`);
  return real;
}
