/** What keeps a VM from leaving this host live, in words (docs/decisions/0031). */
import { nodeSnapshots } from "@guesthouse/qemu/snapshot-ops";
import { CPU_MODELS, defaultCpuModel } from "@guesthouse/shared/cpu-models";
import { InvalidStateError } from "../errors.ts";
import type { VmManager } from "../vm-manager.ts";
import type { VmRecord } from "../vm-record.ts";

export async function assertLiveMovable(m: VmManager, rec: VmRecord): Promise<void> {
  const vm = `VM '${rec.id}'`;
  if (!rec.instance || (rec.state !== "running" && rec.state !== "paused")) {
    throw new InvalidStateError(
      rec.state === "stopped" || rec.state === "suspended"
        ? `${vm} is ${rec.state}; a live move needs it running (a stopped VM moves cold)`
        : `${vm} is ${rec.state}; it can be moved live only while running or paused`,
    );
  }
  const model = rec.spec.cpuModel ?? defaultCpuModel(rec.spec.profile, m.config.accel);
  if (CPU_MODELS[model].kind === "host") {
    throw new InvalidStateError(`${vm} uses the host-passthrough CPU model, which is not migratable; change its CPU model while stopped`);
  }
  const undo = rec.spec.disks.find((d) => d.undo);
  if (undo) {
    throw new InvalidStateError(`${vm} runs disk '${undo.disk}' as an undo disk; keep, commit or discard its changes and move it stopped`);
  }
  for (const [i, d] of rec.spec.disks.entries()) {
    if (d.readOnly) continue;
    const snaps = await nodeSnapshots(rec.instance.qmp, `disk${i}`);
    if (snaps.length > 0) {
      throw new InvalidStateError(
        `${vm} has ${snaps.length} internal snapshot(s) on disk '${d.disk}'; they do not travel live: delete them, or move the VM stopped (cold), which keeps them`,
      );
    }
  }
}
