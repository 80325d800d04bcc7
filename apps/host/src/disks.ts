/** qcow2 disks under `<dataDir>/host/disks/<id>.qcow2`: create, clone, resize, import, delete. */
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { qemuImg } from "@guesthouse/qemu";
import { QemuImgError } from "@guesthouse/qemu/qemu-img";
import type { HostConfig } from "./config.ts";
import { AlreadyExistsError, BadInputError, EngineError, InvalidStateError, NotFoundError } from "./errors.ts";
import { KeyedQueue } from "./keyed-queue.ts";
import type { HostPaths } from "./paths.ts";
import { resolveAllowedFile } from "./path-guard.ts";
import { undoPath, undoPending } from "./undo-disks.ts";
import { exists } from "./path-exists.ts";
import { unlessDiskFull } from "./free-space.ts";
import type { LongOpControl } from "./long-ops.ts";

export interface DiskInfo {
  id: string;
  path: string;
  format: string;
  virtualSizeBytes: number;
  actualSizeBytes: number | undefined;
  /** The disk this one is a linked clone of, if any. */
  backingDisk: string | undefined;
  /** An undo overlay (`<id>.undo.qcow2`) holds changes not yet kept, committed or discarded. */
  undoPending: boolean;
  /** Set when the file cannot be read as a disk image (damaged, or not an image at all). */
  problem?: string;
}

/** Who uses a disk: answered by the VM registry, so the disk store does not depend on it. */
export interface DiskUsers {
  vmsUsing(diskId: string): { vmId: string; running: boolean; node: string }[];
  resizeLive(vmId: string, node: string, sizeBytes: number): Promise<void>;
}

export class DiskStore {
  readonly #queue = new KeyedQueue();
  readonly #img: qemuImg.QemuImgOptions;

  constructor(
    readonly config: HostConfig,
    readonly paths: HostPaths,
    readonly users: DiskUsers,
  ) {
    this.#img = { binary: config.qemuImgBinary };
  }

  async init(): Promise<void> {
    await mkdir(this.paths.disksDir, { recursive: true });
    // An import the service was killed in the middle of leaves its partial copy: nothing refers to it.
    for (const name of await readdir(this.paths.disksDir)) {
      if (name.endsWith(".importing")) await rm(join(this.paths.disksDir, name), { force: true });
    }
  }

  async list(): Promise<DiskInfo[]> {
    const names = (await readdir(this.paths.disksDir)).filter((n) => n.endsWith(".qcow2") && !n.endsWith(".undo.qcow2"));
    // One damaged file must not hide the others, nor block what depends on the list (deletes, templates).
    return Promise.all(
      names.map((n) =>
        this.info(basename(n, ".qcow2")).catch((err: Error) => ({
          id: basename(n, ".qcow2"),
          path: join(this.paths.disksDir, n),
          format: "unreadable",
          virtualSizeBytes: 0,
          actualSizeBytes: undefined,
          backingDisk: undefined,
          undoPending: false,
          problem: err.message,
        })),
      ),
    );
  }

  async info(id: string): Promise<DiskInfo> {
    const path = await this.#existing(id);
    const i = await engine(() => qemuImg.info({ path, format: "qcow2", forceShare: true, ...this.#img }));
    const backing = i["full-backing-filename"] ?? i["backing-filename"];
    return {
      id,
      path,
      format: i.format,
      virtualSizeBytes: i["virtual-size"],
      actualSizeBytes: i["actual-size"],
      backingDisk: backing ? basename(backing, ".qcow2") : undefined,
      undoPending: await undoPending(path),
    };
  }

  create(id: string, sizeBytes: number): Promise<DiskInfo> {
    return this.#queue.run(id, "create", async () => {
      const path = await this.#fresh(id);
      const what = `creating disk '${id}'`;
      await made(path, () =>
        unlessDiskFull(what, this.paths.disksDir, 1024 * 1024, () =>
          engine(() => qemuImg.createQcow2({ path, sizeBytes, ...this.#img }), what),
        ),
      );
      return this.info(id);
    });
  }

  /** A linked clone: a thin qcow2 whose unwritten blocks come from `from` (kept read-only by convention). */
  clone(id: string, from: string): Promise<DiskInfo> {
    return this.#queue.run(id, "clone", async () => {
      await this.#existing(from);
      const path = await this.#fresh(id);
      // Relative backing name: the pair keeps working if the data folder moves.
      await made(path, () =>
        engine(
          () => qemuImg.createLinkedClone({ path, backingPath: `${from}.qcow2`, backingFormat: "qcow2", ...this.#img }),
          `creating disk '${id}' as a linked clone of '${from}'`,
        ),
      );
      return this.info(id);
    });
  }

  resize(id: string, sizeBytes: number): Promise<DiskInfo> {
    return this.#queue.run(id, "resize", async () => {
      const current = await this.info(id);
      if (sizeBytes < current.virtualSizeBytes) {
        throw new BadInputError(`disk '${id}' is ${current.virtualSizeBytes} bytes; shrinking it would destroy data and is refused`);
      }
      const running = this.users.vmsUsing(id).find((u) => u.running);
      if (running) await this.users.resizeLive(running.vmId, running.node, sizeBytes);
      else await engine(() => qemuImg.resize({ path: current.path, sizeBytes, ...this.#img }));
      return this.info(id);
    });
  }

  /**
   * Copies an existing raw or qcow2 image from an allowed folder into a new qcow2 disk. With
   * `control` (a long operation): qemu-img's own progress is reported, and a cancel stops the copy.
   */
  import(id: string, source: string, format?: "raw" | "qcow2", control?: LongOpControl): Promise<DiskInfo> {
    return this.#queue.run(id, "import", async () => {
      const real = await resolveAllowedFile(source, this.config, "image");
      const srcInfo = await engine(() => qemuImg.info({ path: real, format, ...this.#img }));
      if (srcInfo.format !== "raw" && srcInfo.format !== "qcow2") {
        throw new BadInputError(`image '${source}' is ${srcInfo.format}; only raw and qcow2 images can be imported`);
      }
      if (srcInfo["backing-filename"]) {
        throw new BadInputError(`image '${source}' has a backing file; import a standalone image`);
      }
      const path = await this.#fresh(id);
      const tmp = `${path}.importing`;
      try {
        const copy = { source: real, sourceFormat: srcInfo.format as "raw" | "qcow2", target: tmp, ...this.#img };
        const onProgress = (pct: number) => control?.report(pct, `${pct}% of '${basename(source)}' copied`);
        await unlessDiskFull(`importing '${basename(source)}' as disk '${id}'`, this.paths.disksDir, srcInfo["actual-size"] ?? 0, () =>
          engine(() => qemuImg.convertWithProgress({ ...copy, onProgress, signal: control?.signal })),
        );
        await rename(tmp, path);
      } finally {
        await rm(tmp, { force: true });
      }
      return this.info(id);
    });
  }

  delete(id: string): Promise<void> {
    return this.#queue.run(id, "delete", async () => {
      const path = await this.#existing(id);
      const users = this.users.vmsUsing(id);
      if (users.length > 0) {
        throw new InvalidStateError(`disk '${id}' is used by VM '${users[0]?.vmId}'; detach it or delete that VM first`);
      }
      const clones = (await this.list()).filter((d) => d.backingDisk === id);
      if (clones.length > 0) {
        throw new InvalidStateError(`disk '${id}' is the base of linked clone '${clones[0]?.id}'; delete the clone first`);
      }
      await rm(path);
      await rm(undoPath(path), { force: true });
    });
  }

  async #existing(id: string): Promise<string> {
    const path = this.paths.diskPath(id);
    if (!(await exists(path))) throw new NotFoundError(`no disk with id '${id}'`);
    return path;
  }

  async #fresh(id: string): Promise<string> {
    const path = this.paths.diskPath(id);
    if (await exists(path)) throw new AlreadyExistsError(`disk '${id}' already exists`);
    return path;
  }
}

/** qemu-img's failure as the host's, prefixed with what was being done when `what` says. */
async function engine<T>(f: () => Promise<T>, what?: string): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof QemuImgError) throw new EngineError(what ? `${what}: ${err.message}` : err.message);
    throw err;
  }
}

/** A new file made by `f`, or none at all: a failure half-way (say, a full disk) leaves no partial file. */
async function made<T>(path: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}
