import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { QmpProbe } from "./qmp-probe.ts";
import { summarizePpm, type ScreenSummary } from "./ppm.ts";

import { cpuArgFor, probeAccelerator } from "@guesthouse/qemu/accel";

// The product's engine choice (QEMU_BINARY, GUESTHOUSE_ACCEL and the probe), so these guests run as real VMs do.
const binary = process.env.QEMU_BINARY ?? "qemu-system-x86_64";
const engine = await probeAccelerator({ binary, mode: (process.env.GUESTHOUSE_ACCEL as "auto" | "kvm" | "tcg" | undefined) ?? "auto" });
const cpu = cpuArgFor(engine.baseline ?? "x86-64-v1", engine) ?? "qemu64";

/** A QEMU process for tests: serial on stdio, QMP on a unix socket in `stateDir`, no network. */
export class QemuGuest {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  serial = "";
  private readonly listeners = new Set<() => void>();
  private qmpConn: Promise<QmpProbe> | null = null;
  private readonly qmpPath: string;

  constructor(stateDir: string, name: string, extraArgs: readonly string[]) {
    this.qmpPath = join(stateDir, `${name}.qmp`);
    const argv = ["-accel", engine.accel, "-cpu", cpu, "-m", "128", "-nic", "none", "-display", "none", "-no-reboot"];
    argv.push("-serial", "stdio", "-qmp", `unix:${this.qmpPath},server,nowait`, ...extraArgs);
    this.child = spawn(binary, argv, { stdio: ["pipe", "pipe", "inherit"] });
    this.child.stdout?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => {
      this.serial += chunk;
      for (const l of this.listeners) l();
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.exited.then(() => this.listeners.forEach((l) => l()));
  }

  /** Resolves with the serial text index just past the first match of `re` at or after `from`. */
  waitSerial(re: RegExp, from: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(this.serial.slice(from));
        if (m) done(() => resolve(from + m.index + m[0].length));
        else if (this.child.exitCode !== null) done(() => reject(new Error(`QEMU exited waiting for ${re}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out waiting for ${re}; serial tail: ${JSON.stringify(this.serial.slice(-300))}`))),
        timeoutMs,
      );
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  type(text: string): void {
    this.child.stdin?.write(text);
  }

  qmp(): Promise<QmpProbe> {
    this.qmpConn ??= QmpProbe.open(this.qmpPath);
    return this.qmpConn;
  }

  async screen(file: string): Promise<ScreenSummary> {
    await (await this.qmp()).execute("screendump", { filename: file });
    return summarizePpm(await readFile(file));
  }

  /** Polls the screen until `ok` holds; the guest draws at its own pace under TCG. */
  async waitScreen(file: string, ok: (s: ScreenSummary) => boolean, timeoutMs: number): Promise<ScreenSummary> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const summary = await this.screen(file);
      if (ok(summary)) return summary;
      if (Date.now() > deadline) throw new Error(`screen never matched: ${JSON.stringify(summary)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async kill(): Promise<void> {
    if (this.qmpConn) (await this.qmpConn.catch(() => null))?.close();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}
