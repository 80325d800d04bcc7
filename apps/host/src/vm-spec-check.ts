/** Checks a VM spec against this host: files exist and are allowed, the hardware fits, RAM fits. */
import { access } from "node:fs/promises";
import { cpuArgFor } from "@guesthouse/qemu/accel";
import { ArgvError, buildArgv } from "@guesthouse/qemu/argv";
import { tapNameFor } from "./net/names.ts";
import { cpuModelRefusal, defaultCpuModel, type CpuModelId } from "@guesthouse/shared/cpu-models";
import type { VmSpec } from "@guesthouse/shared/vm";
import type { HostConfig } from "./config.ts";
import { BadInputError, CapacityError } from "./errors.ts";
import { memInfo } from "./host-info.ts";
import type { HostPaths } from "./paths.ts";
import { resolveAllowedFile } from "./path-guard.ts";

const MiB = 1024 * 1024;

export interface ResolvedSpec {
  /** The spec with media paths replaced by their real (symlink-free) paths. */
  spec: VmSpec;
  diskPaths: string[];
  /** The CPU model and the `-cpu` value that runs it on this host. */
  cpuModel: CpuModelId;
  cpu: string;
}

/** The VM's CPU model (or its profile's default) as this host runs it; refused in words when it cannot. */
export function resolveCpu(config: HostConfig, id: string, spec: VmSpec): { cpuModel: CpuModelId; cpu: string } {
  const cpuModel = spec.cpuModel ?? defaultCpuModel(spec.profile, config.accel);
  const refusal = cpuModelRefusal(cpuModel, spec.profile, config.accel);
  const cpu = cpuArgFor(cpuModel, config.accel);
  if (refusal || cpu === undefined) throw new BadInputError(`VM '${id}': ${refusal ?? `CPU model '${cpuModel}' cannot run here`}`);
  return { cpuModel, cpu };
}

/** Resolves and checks every file the spec names; throws BadInputError on the first problem. */
export async function resolveSpec(config: HostConfig, paths: HostPaths, id: string, spec: VmSpec): Promise<ResolvedSpec> {
  const roots = { dataDir: config.dataDir, mediaDirs: config.mediaDirs };
  const seen = new Set<string>();
  const diskPaths: string[] = [];
  for (const { disk } of spec.disks) {
    if (seen.has(disk)) throw new BadInputError(`disk '${disk}' is listed twice`);
    seen.add(disk);
    const path = paths.diskPath(disk);
    try {
      await access(path);
    } catch {
      throw new BadInputError(`disk '${disk}' does not exist; create or import it first`);
    }
    diskPaths.push(path);
  }
  const resolved: VmSpec = structuredClone(spec);
  if (resolved.cdrom?.iso) resolved.cdrom.iso = await resolveAllowedFile(resolved.cdrom.iso, roots, "ISO");
  if (resolved.kernel) {
    resolved.kernel.kernel = await resolveAllowedFile(resolved.kernel.kernel, roots, "kernel");
    if (resolved.kernel.initrd) resolved.kernel.initrd = await resolveAllowedFile(resolved.kernel.initrd, roots, "initrd");
  }
  const { cpuModel, cpu } = resolveCpu(config, id, spec);
  try {
    // A dry run catches what the hardware profile cannot hold (e.g. too many IDE disks).
    const taps = Object.fromEntries(resolved.nics.map((n) => [n.slot, tapNameFor(id, n.slot)]));
    buildArgv({ id, spec: resolved, stateDir: paths.vmDir(id), diskPaths, accel: config.accel.accel, cpu, taps });
  } catch (err) {
    if (err instanceof ArgvError) throw new BadInputError(`VM '${id}': ${err.message}`);
    throw new BadInputError(`VM '${id}': ${(err as Error).message}`);
  }
  return { spec: resolved, diskPaths, cpuModel, cpu };
}

/** A guest may never have more RAM than the host has. */
export async function checkRamFits(id: string, memoryMiB: number, alreadyCommittedMiB = 0): Promise<void> {
  const totalMiB = Math.floor((await memInfo()).totalBytes / MiB);
  if (memoryMiB > totalMiB) {
    throw new CapacityError(`VM '${id}' asks for ${memoryMiB} MiB of RAM but this host has only ${totalMiB} MiB`);
  }
  if (memoryMiB + alreadyCommittedMiB > totalMiB) {
    throw new CapacityError(
      `VM '${id}' asks for ${memoryMiB} MiB of RAM but only ${totalMiB - alreadyCommittedMiB} MiB of this host's ` +
        `${totalMiB} MiB are not given to running guests`,
    );
  }
}
