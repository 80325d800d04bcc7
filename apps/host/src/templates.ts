/**
 * Templates: a VM turned read-only, its disks (and, if it was running, its RAM state) kept under
 * `<data>/host/templates/<id>/` with its spec in `template.json`. Clones are made in clones.ts.
 */
import { assertAllowed } from "./transitions.ts";
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
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

const MIGRATION_TIMEOUT_MS = 120_000;

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
    const names = await readdir(this.dir).catch(() => [] as string[]);
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
      return vms.serialised(fromVm, "template", async (rec) => {
        assertAllowed("makeTemplate", fromVm, rec.state);
        const withRam = rec.state === "running" || rec.state === "paused";
        await this.#checkDisks(rec, withRam);
        const folder = this.folder(id);
        await rm(folder, { recursive: true, force: true }); // leftovers of a failed attempt
        await mkdir(folder, { recursive: true, mode: 0o700 });
        try {
          if (withRam) await this.#saveRam(rec, this.ramFile(id));
        } catch (err) {
          await rm(folder, { recursive: true, force: true });
          throw err;
        }
        // From here on the VM is stopped: move its disks, then hand its definition over to the template.
        for (const { disk } of rec.spec.disks) await this.#moveDisk(disk, this.diskPath(id, disk));
        if (withRam) await chmod(this.ramFile(id), 0o444);
        const template: Template = { id, withRam, spec: rec.spec, diskIds: rec.spec.disks.map((d) => d.disk), createdAt: Date.now() };
        await writeFile(join(folder, "template.json"), JSON.stringify(template, null, 2) + "\n", { mode: 0o444 });
        await vms.store.remove(fromVm);
        vms.records.delete(fromVm);
        vms.events.publish({ type: "removed", vmId: fromVm, at: Date.now() });
        return template;
      });
    });
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
  async #saveRam(rec: VmRecord, file: string): Promise<void> {
    const { vms } = this.service;
    const instance = requireInstance(rec);
    const wasRunning = rec.state === "running";
    vms.setState(rec, "saving", "host-request");
    try {
      if (wasRunning) await instance.qmp.execute("stop");
      await withClipboardUnplugged(instance.qmp, rec.spec.clipboard, () =>
        saveStateToFile(instance.qmp, { socketPath: vms.paths.migrateSocket(rec.id), file, timeoutMs: MIGRATION_TIMEOUT_MS }),
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
  async #moveDisk(diskId: string, target: string): Promise<void> {
    const { paths, config } = this.service;
    const source = paths.diskPath(diskId);
    const info = await qemuImg.info({ path: source, format: "qcow2", binary: config.qemuImgBinary });
    if (info["backing-filename"]) {
      await qemuImg.convert({ source, sourceFormat: "qcow2", target, binary: config.qemuImgBinary });
      await rm(source);
    } else {
      await rename(source, target);
    }
    await chmod(target, 0o444);
  }
}

const stores = new WeakMap<HostService, TemplateStore>();
/** One template store per host service, made on first use (the service itself needs no change). */
export function templatesOf(service: HostService): TemplateStore {
  let s = stores.get(service);
  if (!s) stores.set(service, (s = new TemplateStore(service)));
  return s;
}
