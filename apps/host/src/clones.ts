/**
 * Clones of a template: linked (qcow2 overlays on the template's disks), full (independent copies),
 * or instant (linked disks + the template's RAM state loaded into a fresh QEMU, then `cont`).
 */
import { openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { relative } from "node:path";
import { qemuImg } from "@guesthouse/qemu";
import { crashPoint } from "@guesthouse/shared/crash-point";
import type { CloneMode } from "@guesthouse/shared/host-template-api";
import { DiskIdSchema, type VmSpec } from "@guesthouse/shared/vm";
import { AlreadyExistsError, BadInputError, EngineError } from "./errors.ts";
import type { HostService, VmView } from "./service.ts";
import { templatesOf } from "./templates.ts";
import { prepareLaunch } from "./vm-launch.ts";
import { startFromStateFd } from "./vm-save.ts";
import type { VmManager } from "./vm-manager.ts";
import type { VmRecord } from "./vm-record.ts";
import { exists } from "./path-exists.ts";

export async function cloneTemplate(
  service: HostService,
  p: { templateId: string; id: string; name: string; mode: CloneMode },
): Promise<VmView> {
  const store = templatesOf(service);
  const { paths, config, vms } = service;
  const created: string[] = [];
  await store.queue.run(p.templateId, "clone", async () => {
    const tpl = await store.get(p.templateId);
    if (p.mode === "instant" && !tpl.withRam) {
      throw new BadInputError(`template '${p.templateId}' holds no RAM state; instant clones need a template made from a running VM`);
    }
    if (vms.records.has(p.id)) throw new AlreadyExistsError(`VM '${p.id}' already exists`);
    const diskIds = tpl.diskIds.map((_, i) => `${p.id}-disk${i}`);
    for (const d of diskIds) {
      if (!DiskIdSchema.safeParse(d).success) {
        throw new BadInputError(`clone id '${p.id}' is too long to name its disks ('${d}'); use at most 30 characters`);
      }
      if (await exists(paths.diskPath(d))) throw new AlreadyExistsError(`disk '${d}' already exists`);
    }
    try {
      for (const [i, base] of tpl.diskIds.entries()) {
        const src = store.diskPath(p.templateId, base);
        const path = paths.diskPath(diskIds[i] as string);
        created.push(path);
        if (p.mode === "full") await qemuImg.convert({ source: src, sourceFormat: "qcow2", target: path, binary: config.qemuImgBinary });
        // Relative backing name, like disk.clone: keeps working if the data folder moves.
        else await qemuImg.createLinkedClone({ path, backingPath: relative(paths.disksDir, src), binary: config.qemuImgBinary });
      }
      crashPoint("template.clone:disks-made");
      const spec: VmSpec = { ...tpl.spec, name: p.name, disks: tpl.spec.disks.map((d, i) => ({ ...d, disk: diskIds[i] as string })) };
      await vms.define(p.id, spec);
    } catch (err) {
      await Promise.all(created.map((f) => rm(f, { force: true })));
      throw err instanceof Error && err.name === "QemuImgError" ? new EngineError(err.message) : err;
    }
  });
  if (p.mode === "instant") {
    try {
      await vms.serialised(p.id, "clone-start", (rec) => startFromState(vms, rec, store.ramFile(p.templateId)));
    } catch (err) {
      // Undo the whole clone: the caller asked for a running VM and gets none.
      await vms.delete(p.id).catch(() => undefined);
      await Promise.all(created.map((f) => rm(f, { force: true })));
      throw err;
    }
  }
  return service.view(p.id);
}

/** Like restore, but from a shared, read-only state file that is never consumed. */
async function startFromState(m: VmManager, rec: VmRecord, file: string): Promise<void> {
  const resolved = await prepareLaunch(m, rec);
  await startFromStateFd(m, rec, resolved, openSync(file, "r"), {
    state: "stopped",
    message: (why) => `instant clone '${rec.id}' failed to start from its template's RAM state: ${why}`,
  });
  m.setState(rec, "running", "restored");
}
