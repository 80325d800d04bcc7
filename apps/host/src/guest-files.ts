/**
 * Files as QEMU's own user needs them, set just before each start (ADR 0025): the VM's state folder
 * and the disks it writes are that user's (0700 / 0600); what it only reads and other VMs may share
 * (a template's base disk, any backing file, an uploaded ISO) is root's, group guesthouse-qemu,
 * 0440; and the folders on the way from the data folder are passable (group x) but not readable.
 * The RAM state of a saved VM or a RAM template is never opened by QEMU: it gets it as an fd.
 */
import { chmod, chown, open, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { GuestUser } from "./guest-user.ts";

const QCOW2_MAGIC = 0x514649fb;
const MAX_CHAIN = 16;

/** The backing file named in a qcow2 header (resolved against the image's folder), or undefined. */
export async function qcow2Backing(path: string): Promise<string | undefined> {
  const file = await open(path, "r").catch(() => undefined);
  if (!file) return undefined;
  try {
    const header = Buffer.alloc(20);
    await file.read(header, 0, 20, 0);
    if (header.readUInt32BE(0) !== QCOW2_MAGIC) return undefined;
    const offset = Number(header.readBigUInt64BE(8));
    const size = header.readUInt32BE(16);
    if (!offset || !size || size > 1023) return undefined;
    const name = Buffer.alloc(size);
    await file.read(name, 0, size, offset);
    const backing = name.toString("utf8");
    return isAbsolute(backing) ? backing : resolve(dirname(path), backing);
  } finally {
    await file.close();
  }
}

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
};

export class GuestFiles {
  /** Folders under the data folder whose files QEMU may be handed: the service's own and the upload library. */
  readonly #shareable: string[];

  constructor(
    readonly user: GuestUser,
    readonly dataDir: string,
  ) {
    this.#shareable = [join(dataDir, "host"), join(dataDir, "media")];
  }

  /** Group guesthouse-qemu may pass through every folder from the data folder down to `dir` (not list or write them). */
  async #passable(dir: string): Promise<void> {
    if (dir !== this.dataDir && !inside(this.dataDir, dir)) return;
    const parts = relative(this.dataDir, dir).split(sep).filter(Boolean);
    let at = this.dataDir;
    for (const part of ["", ...parts]) {
      at = part ? join(at, part) : at;
      const st = await stat(at);
      if (st.uid !== 0) continue; // a folder of the guest user's own (a VM's state folder)
      const mode = (st.mode & 0o7707) | 0o010;
      if (st.gid !== this.user.gid) await chown(at, 0, this.user.gid);
      if ((st.mode & 0o7777) !== mode) await chmod(at, mode);
    }
  }

  /** Readable by QEMU's user and nobody else; it cannot write or re-mode it (root owns it). */
  async shareReadOnly(path: string): Promise<void> {
    if (!this.#shareable.some((root) => inside(root, path))) return;
    await this.#passable(dirname(path));
    await chown(path, 0, this.user.gid);
    await chmod(path, 0o440);
  }

  /** A disk QEMU writes: its user's, 0600; each file down its backing chain is shared read-only. */
  async giveDisk(path: string): Promise<void> {
    await this.#passable(dirname(path));
    await chown(path, this.user.uid, this.user.gid);
    await chmod(path, 0o600);
    let backing = await qcow2Backing(path);
    for (let depth = 0; backing && depth < MAX_CHAIN; depth++) {
      await this.shareReadOnly(backing);
      backing = await qcow2Backing(backing);
    }
  }

  /** Everything one start needs; nothing when QEMU runs as the service's own user. */
  async prepareStart(p: { vmDir: string; writableDisks: string[]; readOnlyFiles: string[] }): Promise<void> {
    if (!this.user.dedicated) return;
    await this.#passable(dirname(p.vmDir));
    await chown(p.vmDir, this.user.uid, this.user.gid);
    await chmod(p.vmDir, 0o700);
    for (const disk of p.writableDisks) await this.giveDisk(disk);
    for (const file of p.readOnlyFiles) await this.shareReadOnly(file);
  }

  /** A unix socket we listen on and QEMU connects to (a migration into a file). */
  async giveSocket(path: string): Promise<void> {
    if (this.user.dedicated) await chown(path, this.user.uid, this.user.gid);
  }
}
