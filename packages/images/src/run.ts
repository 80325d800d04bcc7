import { execFile } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** A failed command, keeping its stderr so callers can tell apt's failure modes apart. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | string | null,
    readonly stderr: string,
  ) {
    const tail = stderr.trim().split("\n").slice(-3).join(" | ");
    super(`${command} failed (${exitCode ?? "signal"}): ${tail}`);
    this.name = "CommandError";
  }
}

function execBytes(cmd: string, args: readonly string[], opts: RunOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      [...args],
      // Decompressed kernel modules can be several MB; the default 1 MB cap is too small.
      { cwd: opts.cwd, env: opts.env, encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code ?? null;
          reject(new CommandError([cmd, ...args].join(" "), code, stderr.toString("utf8") || err.message));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** Runs a program with an argv array (never a shell) and returns its stdout as text. */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return (await execBytes(cmd, args, opts)).toString("utf8");
}

/** Like run(), for binary stdout (decompressors). */
export function runBytes(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<Buffer> {
  return execBytes(cmd, args, opts);
}
