/** The host service's folder layout under the data folder. */
import { join } from "node:path";
import { runtimePaths, type RuntimePaths } from "@guesthouse/qemu/runtime-paths";

export interface HostPaths {
  root: string;
  vmsDir: string;
  disksDir: string;
  vmDir(vmId: string): string;
  specFile(vmId: string): string;
  stateFile(vmId: string): string;
  savedStateFile(vmId: string): string;
  migrateSocket(vmId: string): string;
  runtime(vmId: string): RuntimePaths;
  diskPath(diskId: string): string;
}

export function hostPaths(dataDir: string): HostPaths {
  const root = join(dataDir, "host");
  const vmsDir = join(root, "vms");
  const disksDir = join(root, "disks");
  const vmDir = (id: string) => join(vmsDir, id);
  return {
    root,
    vmsDir,
    disksDir,
    vmDir,
    specFile: (id) => join(vmDir(id), "spec.json"),
    stateFile: (id) => join(vmDir(id), "state.json"),
    savedStateFile: (id) => join(vmDir(id), "saved.state"),
    migrateSocket: (id) => join(vmDir(id), "migrate.sock"),
    runtime: (id) => runtimePaths(vmDir(id)),
    diskPath: (id) => join(disksDir, `${id}.qcow2`),
  };
}

/** The VNC unix socket of a VM, for the display proxy. */
export function vncSocketPath(dataDir: string, vmId: string): string {
  return hostPaths(dataDir).runtime(vmId).vnc;
}
