import { join } from "node:path";
import { assertSocketPath } from "./socket-path.ts";

/** Where one VM's QEMU keeps its sockets, pidfile and log inside its state folder. */
export interface RuntimePaths {
  qmp: string;
  vnc: string;
  serial: string;
  pidfile: string;
  log: string;
}

export function runtimePaths(stateDir: string): RuntimePaths {
  return {
    qmp: assertSocketPath(join(stateDir, "qmp.sock")),
    vnc: assertSocketPath(join(stateDir, "vnc.sock")),
    serial: assertSocketPath(join(stateDir, "serial.sock")),
    pidfile: join(stateDir, "qemu.pid"),
    log: join(stateDir, "qemu.log"),
  };
}
