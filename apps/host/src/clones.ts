/**
 * Clones of a template: linked (qcow2 overlays on the template's disks), full (independent copies),
 * or instant (linked disks + the template's RAM state loaded into a fresh QEMU, then `cont`).
 */
import { randomBytes } from "node:crypto";
import { openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { relative } from "node:path";
import { qemuImg } from "@guesthouse/qemu";
import { crashPoint } from "@guesthouse/shared/crash-point";
import type { CloneMode } from "@guesthouse/shared/host-template-api";
import { randomMac, type VmNic } from "@guesthouse/shared/network";
import { DiskIdSchema, type VmSpec } from "@guesthouse/shared/vm";
import { AlreadyExistsError, BadInputError, EngineError } from "./errors.ts";
import type { HostService, VmView } from "./service.ts";
import { templatesOf } from "./templates.ts";
import { prepareLaunch } from "./vm-launch.ts";
import { startFromStateFd } from "./vm-save.ts";
import type { VmManager } from "./vm-manager.ts";
import type { VmRecord } from "./vm-record.ts";
import { exists } from "./path-exists.ts";
import { instantWithNicsRefusal, linksDown, swapInOwnNics } from "./instant-clone-nics.ts";
import { powerOffVm } from "./vm-power.ts";
import { unlessDiskFull } from "./free-space.ts";
import type { LongOpControl } from "./long-ops.ts";

const MiB = 1024 * 1024;

/** Every clone gets MACs of its own; the console records them as its NIC rows (unique across the installation). */
export function freshMacs(nics: readonly VmNic[]): VmNic[] {
  return nics.map((n) => ({ ...n, mac: randomMac(randomBytes(5)) }));
}

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
    const noNics = p.mode === "instant" ? instantWithNicsRefusal(tpl, p.id) : undefined;
    if (noNics) throw new BadInputError(noNics);
    if (vms.records.has(p.id)) throw new AlreadyExistsError(`VM '${p.id}' already exists`);
    const diskIds = tpl.diskIds.map((_, i) => `${p.id}-disk${i}`);
    for (const d of diskIds) {
      if (!DiskIdSchema.safeParse(d).success) {
        throw new BadInputError(`clone id '${p.id}' is too long to name its disks ('${d}'); use at most 30 characters`);
      }
      if (await exists(paths.diskPath(d))) throw new AlreadyExistsError(`disk '${d}' already exists`);
    }
    try {
      const copies = tpl.diskIds.map((base, i) => ({
        src: store.diskPath(p.templateId, base),
        path: paths.diskPath(diskIds[i] as string),
      }));
      // A full disk is told as such, naming the clone (qemu-img only names a byte offset).
      const what = `making ${p.mode} clone '${p.id}' of template '${p.templateId}'`;
      const binary = config.qemuImgBinary;
      if (p.mode === "full") {
        // The long part: qemu-img's own progress, and a cancel kills it (the partial copies go below).
        const copyAll = async ({ signal, report }: LongOpControl) => {
          for (const [i, { src, path }] of copies.entries()) {
            created.push(path);
            // A full copy needs up to the disk's whole size.
            const needed = (await qemuImg.info({ path: src, format: "qcow2", binary }))["virtual-size"];
            const onProgress = (pct: number) => report((100 * i + pct) / copies.length, `disk ${i + 1} of ${copies.length}: ${pct}%`);
            await unlessDiskFull(what, paths.disksDir, needed, () =>
              qemuImg.convertWithProgress({ source: src, sourceFormat: "qcow2", target: path, onProgress, signal, binary }),
            );
          }
        };
        await service.longOps.run(p.id, "full clone", copyAll, `the full clone '${p.name}'`);
      } else {
        for (const { src, path } of copies) {
          created.push(path);
          // Relative backing name, like disk.clone: keeps working if the data folder moves; only metadata.
          await unlessDiskFull(what, paths.disksDir, MiB, () =>
            qemuImg.createLinkedClone({ path, backingPath: relative(paths.disksDir, src), binary }),
          );
        }
      }
      crashPoint("template.clone:disks-made");
      const spec: VmSpec = {
        ...tpl.spec,
        name: p.name,
        disks: tpl.spec.disks.map((d, i) => ({ ...d, disk: diskIds[i] as string })),
        nics: freshMacs(tpl.spec.nics),
      };
      await unlessDiskFull(`defining clone '${p.id}' of template '${p.templateId}'`, paths.root, MiB, () => vms.define(p.id, spec));
    } catch (err) {
      await Promise.all(created.map((f) => rm(f, { force: true })));
      throw err instanceof Error && err.name === "QemuImgError" ? new EngineError(err.message) : err;
    }
  });
  if (p.mode === "instant") {
    try {
      const tplNics = (await store.get(p.templateId)).spec.nics;
      await vms.serialised(p.id, "clone-start", (rec) => startFromState(vms, rec, store.ramFile(p.templateId), tplNics));
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
async function startFromState(m: VmManager, rec: VmRecord, file: string, tplNics: readonly VmNic[]): Promise<void> {
  const resolved = await prepareLaunch(m, rec);
  const message = (why: string) => `instant clone '${rec.id}' failed to start from its template's RAM state: ${why}`;
  await startFromStateFd(m, rec, resolved, openSync(file, "r"), { state: "stopped", message }, (i) => linksDown(i.qmp, tplNics));
  m.setState(rec, "running", "restored");
  try {
    await swapInOwnNics(m, rec, tplNics);
  } catch (err) {
    await powerOffVm(m, rec).catch(() => undefined);
    throw new EngineError(message((err as Error).message));
  }
}
