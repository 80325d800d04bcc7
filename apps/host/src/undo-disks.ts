/**
 * Undo disks (Virtual Server's feature): a VM's disk marked `undo` runs on `<disk>.undo.qcow2`, a
 * linked overlay of the base; the base stays untouched until the overlay is committed into it.
 */
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { qemuImg } from "@guesthouse/qemu";
import type { VmSpec } from "@guesthouse/shared/vm";
import { BadInputError, EngineError, InvalidStateError } from "./errors.ts";
import type { VmManager } from "./vm-manager.ts";
import { exists } from "./path-exists.ts";

const exec = promisify(execFile);

/** `<data>/host/disks/<id>.qcow2` → `<data>/host/disks/<id>.undo.qcow2`. */
export const undoPath = (diskPath: string) => diskPath.replace(/\.qcow2$/, ".undo.qcow2");
export const undoPending = (diskPath: string) => exists(undoPath(diskPath));

/** The paths QEMU opens: the undo overlay (created when missing) for undo disks, the base otherwise. */
export async function launchDiskPaths(qemuImgBinary: string, spec: VmSpec, diskPaths: string[]): Promise<string[]> {
  return Promise.all(
    diskPaths.map(async (base, i) => {
      if (!spec.disks[i]?.undo) return base;
      const overlay = undoPath(base);
      if (!(await exists(overlay))) {
        const backingPath = base.slice(base.lastIndexOf("/") + 1); // relative: next to the base
        await qemuImg.createLinkedClone({ path: overlay, backingPath, backingFormat: "qcow2", binary: qemuImgBinary });
      }
      return overlay;
    }),
  );
}

export type UndoAction = "keep" | "commit" | "discard";

/** keep / commit / discard one disk's pending changes; only while the VM is stopped. */
export function undoAction(m: VmManager, vmId: string, diskId: string, action: UndoAction) {
  return m.serialised(vmId, "disk-undo", async (rec) => {
    if (!rec.spec.disks.some((d) => d.disk === diskId)) {
      throw new BadInputError(`VM '${vmId}' has no disk '${diskId}'`);
    }
    if (rec.state !== "stopped" || rec.instance) {
      throw new InvalidStateError(
        `VM '${vmId}' is ${rec.state}; undo changes can be kept, committed or discarded only while it is stopped`,
      );
    }
    const overlay = undoPath(m.paths.diskPath(diskId));
    const pending = await exists(overlay);
    if (!pending && action !== "keep") {
      throw new InvalidStateError(`disk '${diskId}' of VM '${vmId}' has no pending undo changes to ${action}`);
    }
    if (action === "commit") {
      try {
        // -d: the overlay is removed below anyway; argv array, no shell.
        await exec(m.config.qemuImgBinary, ["commit", "-q", "-f", "qcow2", "-d", overlay]);
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new EngineError(`committing undo changes of disk '${diskId}' failed: ${(e.stderr ?? e.message).trim()}`);
      }
    }
    if (action !== "keep") await rm(overlay, { force: true });
    return { id: vmId, disk: diskId, action, undoPending: action === "keep" ? pending : false };
  });
}
