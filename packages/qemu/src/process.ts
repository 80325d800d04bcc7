/** Starting QEMU so that it outlives us, and finding out later whether it still lives. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

export interface SpawnedQemu {
  pid: number;
  child: ChildProcess;
  /** Settles when the process exits (only observable for processes we spawned). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Written to the log before each start, so readers can find the current run's lines. */
export const LOG_START_MARK = "--- guesthouse: starting qemu";

export interface SpawnOptions {
  binary: string;
  argv: readonly string[];
  /** stdout and stderr are appended here. */
  logPath: string;
  /** File descriptors handed to QEMU as fd 3, 4, … (e.g. a saved state for `migrate-incoming fd:3`, later a tap). */
  extraFds?: number[];
  /** Run QEMU as this user instead of ours (we must be root). */
  runAs?: RunAs;
}

/** A user and its groups. Node's spawn has uid/gid but drops every supplementary group, so `setpriv` sets them. */
export interface RunAs {
  uid: number;
  gid: number;
  /** All groups, the primary one included (e.g. its own and kvm). */
  groups: number[];
}

export const SETPRIV = "/usr/bin/setpriv";

/**
 * The program and argv that run `binary` as `runAs`: util-linux's setpriv sets the ids and groups,
 * clears the inheritable capabilities, then execs QEMU in place (same pid). No -runas: with
 * `-sandbox elevateprivileges=deny` QEMU dies of SIGSYS (docs/machine-facts.md).
 */
export function commandFor(binary: string, argv: readonly string[], runAs?: RunAs): { file: string; args: string[] } {
  if (!runAs) return { file: binary, args: [...argv] };
  return {
    file: SETPRIV,
    args: [
      `--reuid=${runAs.uid}`,
      `--regid=${runAs.gid}`,
      `--groups=${runAs.groups.join(",")}`,
      "--inh-caps=-all",
      "--bounding-set=-all",
      "--",
      binary,
      ...argv,
    ],
  };
}

/**
 * Detached (own session, so signals to our process group miss it), stdio to a log file, and unref'd:
 * the host service may exit or restart while the guest keeps running.
 */
export function spawnQemu(opts: SpawnOptions): SpawnedQemu {
  const log = openSync(opts.logPath, "a", 0o600);
  try {
    writeSync(log, `${LOG_START_MARK} ${new Date().toISOString()}\n`);
    const { file, args } = commandFor(opts.binary, opts.argv, opts.runAs);
    const child = spawn(file, args, {
      detached: true,
      shell: false,
      stdio: ["ignore", log, log, ...(opts.extraFds ?? [])],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", reject);
    });
    child.unref();
    if (child.pid === undefined) {
      // spawn failed synchronously (ENOENT etc.); the 'error' event carries the cause.
      return { pid: -1, child, exited };
    }
    return { pid: child.pid, child, exited };
  } finally {
    closeSync(log);
  }
}

export async function readPidfile(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, "utf8")).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Alive and still our QEMU: the pid exists, is not a zombie, and its argv contains `marker`
 * (its pidfile path), so a recycled pid is not mistaken for the guest.
 */
export async function isQemuAlive(pid: number, marker: string): Promise<boolean> {
  try {
    const [stat, cmdline] = await Promise.all([readFile(`/proc/${pid}/stat`, "utf8"), readFile(`/proc/${pid}/cmdline`, "utf8")]);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    return cmdline.split("\0").includes(marker);
  } catch {
    return false;
  }
}

export interface ProcStats {
  rssBytes: number;
  cpuSeconds: number;
}

let clockTicks: Promise<number> | undefined;
function clkTck(): Promise<number> {
  clockTicks ??= promisify(execFile)("getconf", ["CLK_TCK"])
    .then(({ stdout }) => Number.parseInt(stdout.trim(), 10) || 100)
    .catch(() => 100);
  return clockTicks;
}

/** RSS from /proc/<pid>/status (VmRSS) and user+system CPU time from /proc/<pid>/stat. */
export async function procStats(pid: number): Promise<ProcStats | undefined> {
  try {
    const [status, stat, ticks] = await Promise.all([
      readFile(`/proc/${pid}/status`, "utf8"),
      readFile(`/proc/${pid}/stat`, "utf8"),
      clkTck(),
    ]);
    const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
    // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based).
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(rest[11] ?? 0);
    const stime = Number(rest[12] ?? 0);
    return { rssBytes: rssKb * 1024, cpuSeconds: (utime + stime) / ticks };
  } catch {
    return undefined;
  }
}

/** `qemu-system-x86_64 --version` → "7.2.22"; throws with code ENOENT when the binary is missing. */
export async function qemuVersion(binary: string): Promise<string> {
  const { stdout } = await promisify(execFile)(binary, ["--version"]);
  return /version\s+([\d.]+)/.exec(stdout)?.[1] ?? stdout.split("\n")[0] ?? "unknown";
}
