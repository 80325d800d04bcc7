/**
 * Templates: a VM turned read-only, its disks (and, if it was running, its RAM state) kept under
 * `<data>/host/templates/<id>/` with its spec in `template.json`. Clones are made in clones.ts.
 *
 * A capture is built in `.partial-<id>/` and renamed into place only when whole, so a template
 * folder is either complete or absent. A host service that dies half-way finds the partial folder
 * when it starts again (recover()): with its template.json written, the capture is finished;
 * without, the VM's disks go back where they were and the partial folder is removed.
 */
import { assertAllowed } from "./transitions.ts";
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { crashPoint } from "@guesthouse/shared/crash-point";
import { join, resolve } from "node:path";
import { qemuImg } from "@guesthouse/qemu";
import { VmSpecSchema } from "@guesthouse/shared/vm";
import { z } from "zod";
import { AlreadyExistsError, EngineError, InvalidStateError, NotFoundError } from "./errors.ts";
import { KeyedQueue } from "./keyed-queue.ts";
import { saveStateToFile } from "./migrate-file.ts";
import { withClipboardUnplugged } from "@guesthouse/qemu/clipboard-port";
import type { HostService } from "./service.ts";
import { undoPending } from "./undo-disks.ts";
import { hardStop, requireInstance } from "./vm-launch.ts";
import type { VmRecord } from "./vm-record.ts";
import { exists } from "./path-exists.ts";
import type { LongOpControl } from "./long-ops.ts";
import { CopySteps } from "./copy-steps.ts";
import { unlessDiskFull } from "./free-space.ts";

const MiB = 1024 * 1024;

const MIGRATION_TIMEOUT_MS = 120_000;
const PARTIAL = ".partial-";
const CAPTURE_FILE = "capture.json";
/** What a partial folder is the capture of: enough to put the disks back. */
interface Capture {
  fromVm: string;
  diskIds: string[];
}

export const TemplateSchema = z.object({
  id: z.string(),
  withRam: z.boolean(),
  spec: VmSpecSchema,
  diskIds: z.array(z.string()),
  createdAt: z.number(),
});
export type Template = z.infer<typeof TemplateSchema>;

export class TemplateStore {
  /** Serialises create, clone and delete per template id. */
  readonly queue = new KeyedQueue();
  readonly dir: string;

  constructor(readonly service: HostService) {
    this.dir = join(service.paths.root, "templates");
  }

  folder = (id: string) => join(this.dir, id);
  /** Where a capture is built before it is renamed into place. */
  partialFolder = (id: string) => join(this.dir, `${PARTIAL}${id}`);
  diskPath = (id: string, diskId: string) => join(this.folder(id), `${diskId}.qcow2`);
  ramFile = (id: string) => join(this.folder(id), "ram.state");

  async get(id: string): Promise<Template> {
    let text: string;
    try {
      text = await readFile(join(this.folder(id), "template.json"), "utf8");
    } catch {
      throw new NotFoundError(`no template with id '${id}'`);
    }
    return TemplateSchema.parse(JSON.parse(text));
  }

  async list(): Promise<Template[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => !n.startsWith(PARTIAL));
    const all = await Promise.all(names.sort().map((n) => this.get(n).catch(() => undefined)));
    return all.filter((t): t is Template => t !== undefined);
  }

  /** Turns VM `fromVm` into template `id`: stopped → disks only; running or paused → disks + RAM state. */
  create(id: string, fromVm: string): Promise<Template> {
    const { vms } = this.service;
    return this.queue.run(id, "create", async () => {
      if (
        await this.get(id).then(
          () => true,
          () => false,
        )
      )
        throw new AlreadyExistsError(`template '${id}' already exists`);
      // A long operation under the VM's id: `vm.progress` reads how far the copy got, `vm.cancel` stops it.
      return vms.serialised(fromVm, "template", (rec) =>
        this.service.longOps.run(
          fromVm,
          "template capture",
          (control) => this.#capture(id, rec, control),
          `the capture of template '${id}'`,
        ),
      );
    });
  }

  /**
   * Saves the RAM (running or paused), moves the disks in (flattening linked clones), describes it.
   * Progress is by bytes copied — the RAM state, then each flattened disk; a cancel stops the copy
   * under way and the VM is left with its disks (and its RAM, as a saved state, if it was saved).
   */
  async #capture(id: string, rec: VmRecord, control: LongOpControl): Promise<Template> {
    const fromVm = rec.id;
    assertAllowed("makeTemplate", fromVm, rec.state);
    const withRam = rec.state === "running" || rec.state === "paused";
    await this.#checkDisks(rec, withRam);
    const partial = this.partialFolder(id);
    const what = `capturing template '${id}' from VM '${fromVm}'`;
    const capture: Capture = { fromVm, diskIds: rec.spec.disks.map((d) => d.disk) };
    const ram = join(partial, "ram.state");
    const flatten = await Promise.all(capture.diskIds.map((d) => this.#flattenBytes(d)));
    const steps = new CopySteps(control, [withRam ? rec.spec.memoryMiB * MiB : 0, ...flatten]);
    // The RAM state is up to the guest's memory; the folder and its notes a little more.
    await unlessDiskFull(what, this.dir, (withRam ? rec.spec.memoryMiB * MiB : 0) + MiB, async () => {
      try {
        await rm(partial, { recursive: true, force: true }); // leftovers of a failed attempt
        await mkdir(partial, { recursive: true, mode: 0o700 });
        await writeFile(join(partial, CAPTURE_FILE), JSON.stringify(capture) + "\n", { mode: 0o600 });
        // A failed (or cancelled) save lets the guest run on (#saveRam), and nothing of the capture stays.
        if (withRam) await this.#saveRam(rec, ram, steps.control(0, "RAM state"));
      } catch (err) {
        await rm(partial, { recursive: true, force: true });
        throw err;
      }
    });
    crashPoint("template.capture:ram-saved");
    // From here on the VM is stopped: move its disks, then hand its definition over to the template.
    try {
      for (const [i, disk] of capture.diskIds.entries()) {
        if (control.signal.aborted) throw new Error("cancelled");
        const target = join(partial, `${disk}.qcow2`);
        const sub = steps.control(i + 1, `disk ${i + 1} of ${capture.diskIds.length}`);
        await unlessDiskFull(what, this.dir, flatten[i] ?? 0, () => this.#moveDisk(disk, target, sub));
        crashPoint("template.capture:disk-moved");
      }
    } catch (err) {
      // Cancelled, or a linked clone's disk that could not be flattened: the VM gets every disk back.
      await this.#undoCapture(id, capture, withRam ? rec : undefined);
      throw err;
    }
    // Root's alone: a clone's QEMU gets it as an fd, never by path (ADR 0025).
    if (withRam) await chmod(ram, 0o400);
    const template: Template = { id, withRam, spec: rec.spec, diskIds: capture.diskIds, createdAt: Date.now() };
    await writeFile(join(partial, "template.json"), JSON.stringify(template, null, 2) + "\n", { mode: 0o444 });
    crashPoint("template.capture:described");
    await this.#complete(id, fromVm);
    return template;
  }

  /** The last steps of a capture whose template.json is written: the VM goes, the folder goes into place. */
  async #complete(id: string, fromVm: string): Promise<void> {
    const { vms } = this.service;
    if (fromVm) await vms.store.remove(fromVm);
    if (vms.records.delete(fromVm)) vms.events.publish({ type: "removed", vmId: fromVm, at: Date.now() });
    crashPoint("template.capture:vm-removed");
    await rm(join(this.partialFolder(id), CAPTURE_FILE), { force: true });
    await rename(this.partialFolder(id), this.folder(id));
  }

  /**
   * Finishes or undoes the captures a dead host service left in `.partial-*` folders; runs when the
   * service opens, after the VM folders are read and before their guests are looked for.
   */
  async recover(): Promise<string[]> {
    const { log } = this.service;
    const done: string[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (!name.startsWith(PARTIAL)) continue;
      const id = name.slice(PARTIAL.length);
      const partial = this.partialFolder(id);
      const capture = await readFile(join(partial, CAPTURE_FILE), "utf8").then(
        (t) => JSON.parse(t) as Capture,
        () => undefined,
      );
      if (await exists(join(partial, "template.json"))) {
        await this.#complete(id, capture?.fromVm ?? "");
        log.warn({ templateId: id, fromVm: capture?.fromVm }, "finished a template capture that a host restart cut short");
        done.push(`${id}: finished`);
        continue;
      }
      await this.#undoCapture(id, capture);
      log.warn(
        { templateId: id, fromVm: capture?.fromVm },
        "undid a template capture that a host restart cut short; the VM keeps its disks",
      );
      done.push(`${id}: undone`);
    }
    return done;
  }

  /** Not described yet: every disk goes back to the VM (a copy made while flattening is dropped), the folder goes. */
  async #undoCapture(id: string, capture: Capture | undefined, savedFrom?: VmRecord): Promise<void> {
    const { paths, vms } = this.service;
    const partial = this.partialFolder(id);
    // A RAM state already saved (the VM has stopped) becomes the VM's saved state: it resumes where it was.
    if (savedFrom && (await exists(join(partial, "ram.state")))) {
      await rename(join(partial, "ram.state"), paths.savedStateFile(savedFrom.id));
      vms.setState(savedFrom, "suspended", "saved");
    }
    for (const disk of capture?.diskIds ?? []) {
      const moved = join(partial, `${disk}.qcow2`);
      if (!(await exists(moved))) continue;
      if (await exists(paths.diskPath(disk))) await rm(moved, { force: true });
      else {
        // Writable again; its next start hands it to QEMU's user (ADR 0025).
        await chmod(moved, 0o600);
        await rename(moved, paths.diskPath(disk));
      }
    }
    await rm(partial, { recursive: true, force: true });
  }

  /** What moving a disk into a template may write: a linked clone is flattened (up to its whole size), others are renamed. */
  async #flattenBytes(diskId: string): Promise<number> {
    const { paths, config } = this.service;
    // The VM may be running: its QEMU holds the image's write lock, which -U (a shared read) leaves alone.
    const info = await qemuImg.info({ path: paths.diskPath(diskId), format: "qcow2", forceShare: true, binary: config.qemuImgBinary });
    return info["backing-filename"] ? info["virtual-size"] : 0;
  }

  /** Refused while a disk in this host has a backing file in the template's folder. */
  delete(id: string): Promise<{ id: string }> {
    return this.queue.run(id, "delete", async () => {
      await this.get(id);
      const dependants = await this.dependants(id);
      if (dependants.length > 0) {
        throw new InvalidStateError(
          `template '${id}' is the base of linked clones; delete them first. dependants: ${dependants.join(", ")}`,
        );
      }
      await rm(this.folder(id), { recursive: true, force: true });
      return { id };
    });
  }

  /** VM ids (or `disk <id>` for a disk no VM uses) whose disks are backed by the template's files. */
  async dependants(id: string): Promise<string[]> {
    const { paths, config, vms } = this.service;
    const prefix = this.folder(id) + "/";
    const out = new Set<string>();
    for (const name of await readdir(paths.disksDir)) {
      if (!name.endsWith(".qcow2")) continue;
      const i = await qemuImg
        .info({ path: join(paths.disksDir, name), format: "qcow2", forceShare: true, binary: config.qemuImgBinary })
        .catch(() => undefined);
      const backing = i?.["full-backing-filename"];
      if (!backing || !resolve(backing).startsWith(prefix)) continue;
      const diskId = name.replace(/(\.undo)?\.qcow2$/, "");
      const users = [...vms.records.values()].filter((r) => r.spec.disks.some((d) => d.disk === diskId)).map((r) => r.id);
      if (users.length === 0) out.add(`disk ${diskId}`);
      for (const u of users) out.add(u);
    }
    return [...out].sort();
  }

  async #checkDisks(rec: VmRecord, running: boolean): Promise<void> {
    const { vms, disks, paths } = this.service;
    const ids = rec.spec.disks.map((d) => d.disk);
    for (const other of vms.records.values()) {
      const shared = other !== rec && other.spec.disks.find((d) => ids.includes(d.disk));
      if (shared) throw new InvalidStateError(`disk '${shared.disk}' is also used by VM '${other.id}'; detach it there first`);
    }
    for (const d of rec.spec.disks) {
      if ((running && d.undo) || (await undoPending(paths.diskPath(d.disk)))) {
        throw new InvalidStateError(`disk '${d.disk}' is an undo disk with changes; stop the VM and commit or discard them first`);
      }
    }
    const clone = (await disks.list()).find((d) => d.backingDisk && ids.includes(d.backingDisk) && !ids.includes(d.id));
    if (clone) throw new InvalidStateError(`disk '${clone.backingDisk}' is the base of linked clone '${clone.id}'; delete the clone first`);
  }

  /** Pause, stream the RAM state to `file` (the saved-state mechanism), then QEMU quits. */
  async #saveRam(rec: VmRecord, file: string, control: LongOpControl): Promise<void> {
    const { vms } = this.service;
    const instance = requireInstance(rec);
    const wasRunning = rec.state === "running";
    vms.setState(rec, "saving", "host-request");
    try {
      if (wasRunning) await instance.qmp.execute("stop");
      await withClipboardUnplugged(instance.qmp, rec.spec.clipboard, () =>
        saveStateToFile(instance.qmp, {
          socketPath: vms.paths.migrateSocket(rec.id),
          file,
          timeoutMs: MIGRATION_TIMEOUT_MS,
          shareSocket: (path) => vms.guestFiles.giveSocket(path),
          control,
        }),
      );
    } catch (err) {
      if (instance.alive) {
        if (wasRunning) await instance.qmp.execute("cont").catch(() => undefined);
        vms.setState(rec, wasRunning ? "running" : "paused", "host-request");
      }
      throw new EngineError(`saving the RAM state of VM '${rec.id}' failed: ${(err as Error).message}`);
    }
    rec.expectExit = { state: "stopped", reason: "host-request" };
    await hardStop(instance);
  }

  /** Moves a disk into the template folder (flattened if it is itself a linked clone), read-only. */
  async #moveDisk(diskId: string, target: string, { signal, report }: LongOpControl): Promise<void> {
    const { paths, config } = this.service;
    const source = paths.diskPath(diskId);
    const info = await qemuImg.info({ path: source, format: "qcow2", binary: config.qemuImgBinary });
    if (info["backing-filename"]) {
      const onProgress = (pct: number) => report(pct, `${pct}%`);
      await qemuImg.convertWithProgress({ source, sourceFormat: "qcow2", target, onProgress, signal, binary: config.qemuImgBinary });
      await rm(source);
    } else {
      await rename(source, target);
    }
    // Shared by every clone: readable to QEMU's user only, writable by nobody (ADR 0025).
    const files = this.service.vms.guestFiles;
    if (files.user.dedicated) await files.shareReadOnly(target);
    else await chmod(target, 0o444);
  }
}

const stores = new WeakMap<HostService, TemplateStore>();
/** One template store per host service, made on first use (the service itself needs no change). */
export function templatesOf(service: HostService): TemplateStore {
  let s = stores.get(service);
  if (!s) stores.set(service, (s = new TemplateStore(service)));
  return s;
}
