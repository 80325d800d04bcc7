/** One live QEMU process: its pid, its QMP connection, and one reliable "it exited" signal. */
import { EventEmitter } from "node:events";
import { open } from "node:fs/promises";
import { isQemuAlive, LOG_START_MARK, spawnQemu, type RunAs } from "./process.ts";
import { cleanQemuLine } from "./qemu-messages.ts";
import { QmpClient, type QmpEvent } from "./qmp.ts";
import type { RuntimePaths } from "./runtime-paths.ts";

export interface ExitInfo {
  /** Data of the SHUTDOWN event QEMU sent before exiting (absent when it died without one, e.g. SIGKILL). */
  shutdown?: { guest: boolean; reason: string };
  /** Exit status; known only for processes this instance spawned. */
  code?: number | null;
  signal?: NodeJS.Signals | null;
}

export class LaunchError extends Error {
  override name = "LaunchError";
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(logTail ? `${message}: ${logTail}` : message);
  }
}

/** How often a pid is checked when QMP is quiet, and right after QMP hung up. */
const POLL_MS = 1000;
const FAST_POLL_MS = 50;

export class QemuInstance extends EventEmitter<{ event: [QmpEvent]; exit: [ExitInfo] }> {
  readonly exited: Promise<ExitInfo>;
  #resolveExit!: (info: ExitInfo) => void;
  #shutdown: ExitInfo["shutdown"];
  #timer: NodeJS.Timeout | undefined;
  #done = false;

  private constructor(
    readonly pid: number,
    readonly qmp: QmpClient,
    readonly paths: RuntimePaths,
  ) {
    super();
    this.exited = new Promise((resolve) => (this.#resolveExit = resolve));
    qmp.on("event", (e) => {
      if (e.event === "SHUTDOWN") {
        this.#shutdown = { guest: e.data.guest === true, reason: String(e.data.reason ?? "none") };
      }
      this.emit("event", e);
    });
    qmp.on("close", () => this.#poll(FAST_POLL_MS));
    this.#poll(POLL_MS);
  }

  /** Spawns QEMU (detached) and connects to its QMP socket. */
  static async launch(opts: {
    binary: string;
    argv: readonly string[];
    paths: RuntimePaths;
    extraFds?: number[];
    runAs?: RunAs;
    timeoutMs?: number;
  }): Promise<QemuInstance> {
    const proc = spawnQemu({ binary: opts.binary, argv: opts.argv, logPath: opts.paths.log, extraFds: opts.extraFds, runAs: opts.runAs });
    const early = new AbortController();
    let exitInfo: ExitInfo | undefined;
    proc.exited.then(
      ({ code, signal }) => {
        exitInfo = { code, signal };
        early.abort(new LaunchError(`QEMU exited during start (code ${code ?? signal})`, ""));
      },
      (err: Error) => early.abort(new LaunchError(`QEMU could not be started (${err.message})`, "")),
    );
    let qmp: QmpClient;
    try {
      qmp = await QmpClient.connect(opts.paths.qmp, { timeoutMs: opts.timeoutMs ?? 10_000, signal: early.signal });
    } catch (err) {
      if (!exitInfo && proc.pid > 0) process.kill(proc.pid, "SIGKILL");
      await proc.exited.catch(() => undefined);
      // When QEMU itself went away, that is the news; the QMP socket closing is only its echo.
      const exited = exitInfo as ExitInfo | undefined;
      const why = exited
        ? `QEMU exited during start (${exited.signal ?? `code ${exited.code}`})`
        : (err as Error).message.replace(/: $/, "");
      throw new LaunchError(why, await readLogTail(opts.paths.log));
    }
    const instance = new QemuInstance(proc.pid, qmp, opts.paths);
    proc.exited.then(
      (info) => instance.#finish(info),
      () => undefined,
    );
    return instance;
  }

  /** Reattaches to a QEMU started earlier (possibly by a previous host service). */
  static async attach(opts: { pid: number; paths: RuntimePaths; timeoutMs?: number }): Promise<QemuInstance> {
    const qmp = await QmpClient.connect(opts.paths.qmp, { timeoutMs: opts.timeoutMs ?? 5000 });
    return new QemuInstance(opts.pid, qmp, opts.paths);
  }

  get alive(): boolean {
    return !this.#done;
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.#done) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone: the exit watcher reports it
    }
  }

  /** Stops watching and closes QMP; QEMU keeps running (used when the host service stops). */
  detach(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    this.qmp.close();
  }

  #poll(ms: number): void {
    if (this.#done) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(async () => {
      if (this.#done) return;
      if (!(await isQemuAlive(this.pid, this.paths.pidfile))) return this.#finish({});
      this.#poll(this.qmp.closed ? FAST_POLL_MS * 4 : POLL_MS);
    }, ms);
    // The slow watch must not keep a process alive; the fast one (QMP hung up: QEMU is dying) should.
    if (!this.qmp.closed) this.#timer.unref();
  }

  #finish(info: ExitInfo): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.qmp.close();
    const full: ExitInfo = { ...info, shutdown: this.#shutdown };
    this.#resolveExit(full);
    this.emit("exit", full);
  }
}

export async function readLogTail(path: string, bytes = 1500): Promise<string> {
  try {
    const fh = await open(path, "r");
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - bytes);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const text = buf.toString("utf8");
      const mark = text.lastIndexOf(LOG_START_MARK);
      const run = mark < 0 ? text.split("\n") : text.slice(mark).split("\n").slice(1);
      return run.map(cleanQemuLine).filter(Boolean).slice(-6).join(" | ");
    } finally {
      await fh.close();
    }
  } catch {
    return "";
  }
}
