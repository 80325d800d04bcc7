/**
 * The benchmark's child processes (its own roles, websockify, QEMU): started
 * with argv arrays, drained, and all stopped by PID at the end.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";

export class ChildProcesses {
  private readonly children: ChildProcess[] = [];
  /** The first stderr lines of every child, for BENCH_DEBUG. */
  readonly stderr: string[] = [];

  start(command: string, args: string[]): ChildProcess {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.children.push(child);
    // Drained so a chatty child (websockify logs each connection) never blocks on a full pipe.
    child.stderr?.on("data", (chunk: Buffer) => {
      if (this.stderr.length < 50) this.stderr.push(`${command}: ${chunk.toString().trim()}`);
    });
    return child;
  }

  /** Runs `script --role=ROLE ARG` under the same node flags; waits for its {"port"} line. */
  startRole(script: string, role: string, arg: string): Promise<{ port: number; pid: number | undefined }> {
    const child = this.start(process.execPath, [...process.execArgv, script, `--role=${role}`, arg]);
    return new Promise((resolve, reject) => {
      child.stdout?.once("data", (line: Buffer) => {
        const { port } = JSON.parse(line.toString()) as { port: number };
        resolve({ port, pid: child.pid });
      });
      child.once("exit", (code) => reject(new Error(`${role} exited with ${code}`)));
    });
  }

  stopAll(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  }
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function isFree(port: number): Promise<boolean> {
  const probe = createServer().listen(port, "127.0.0.1");
  return new Promise<boolean>((resolve) => {
    probe.once("listening", () => probe.close(() => resolve(true)));
    probe.once("error", () => resolve(false));
  });
}

/**
 * CPU seconds of a process plus its reaped children, from /proc/PID/stat
 * (utime, stime, cutime, cstime; Linux clock ticks are 1/100 s).
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}

/**
 * A BENCHMARK GUEST: a boot sector whose 16-bit real-mode loop rewrites the
 * whole 80x25 text screen forever (es=0xb800; loop { di=0; cx=2000; ax++;
 * rep stosw }), so every QEMU refresh has a full screen of changes.
 */
function screenRewritingBootSector(pace: "nonstop" | "per-tick"): Buffer {
  const sector = Buffer.alloc(512);
  const code =
    pace === "nonstop"
      ? [0xb8, 0x00, 0xb8, 0x8e, 0xc0, 0x31, 0xff, 0xb9, 0xd0, 0x07, 0x40, 0xf3, 0xab, 0xeb, 0xf6]
      : // sti; then loop { hlt (until the BIOS timer's 18.2 Hz tick); di=0; cx=2000; ax++; rep stosw }
        [0xb8, 0x00, 0xb8, 0x8e, 0xc0, 0xfb, 0xf4, 0x31, 0xff, 0xb9, 0xd0, 0x07, 0x40, 0xf3, 0xab, 0xeb, 0xf5];
  Buffer.from(code).copy(sector);
  sector.writeUInt16LE(0xaa55, 510);
  return sector;
}

export interface BenchQemu {
  /** Plain TCP VNC: for raw TCP and websockify. */
  vncPort: number;
  /** QEMU's own WebSocket on the same display. */
  wsPort: number;
  /** QEMU's own `-vnc unix:` socket. */
  unixPath: string;
  /** Two QMP monitors: one for the host role, which opens viewers' VNC connections there as in production (ADR 0060), one for the bench. */
  qmpPaths: [string, string];
}

/**
 * One guest whose screen is reachable over a unix socket, TCP and QEMU's websocket at once.
 * "nonstop" keeps a vCPU busy rewriting the screen; "per-tick" rewrites it 18 times a second
 * and idles in between, as a guest at a prompt does, leaving the cores to the paths measured.
 */
export async function startBenchQemu(children: ChildProcesses, dir: string, pace: "nonstop" | "per-tick" = "nonstop"): Promise<BenchQemu> {
  const image = join(dir, `screen-${pace}.img`);
  await writeFile(image, screenRewritingBootSector(pace));
  const unixPath = join(dir, `qemu-vnc-${pace}.sock`);
  const qmpPaths: [string, string] = [join(dir, `qmp-${pace}-host.sock`), join(dir, `qmp-${pace}-bench.sock`)];
  const wsPort = await freePort();
  let display = 60;
  while (display < 99 && !(await isFree(5900 + display))) display++;
  children.start("qemu-system-x86_64", [
    ...["-accel", "tcg", "-m", "64", "-nic", "none", "-display", "none"],
    ...["-snapshot", "-drive", `file=${image},format=raw,if=ide`],
    ...["-vnc", `unix:${unixPath},id=unix`],
    ...["-vnc", `127.0.0.1:${display},websocket=127.0.0.1:${wsPort},id=tcp`],
    ...qmpPaths.flatMap((path) => ["-qmp", `unix:${path},server=on,wait=off`]),
  ]);
  return { vncPort: 5900 + display, wsPort, unixPath, qmpPaths };
}
