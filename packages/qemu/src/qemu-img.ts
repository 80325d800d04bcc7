/** qemu-img wrappers: every call is execFile with an argv array; JSON answers are parsed with zod. */
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { z } from "zod";

const exec = promisify(execFile);

export interface QemuImgOptions {
  /** qemu-img binary; default `qemu-img` from PATH. */
  binary?: string;
}

export class QemuImgError extends Error {
  override name = "QemuImgError";
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(`qemu-img ${args[0] ?? ""} failed: ${stderr.trim().split("\n").slice(-3).join(" ") || "no output"}`);
  }
}

async function run(args: string[], opts: QemuImgOptions = {}): Promise<string> {
  try {
    const { stdout } = await exec(opts.binary ?? "qemu-img", args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new QemuImgError(args, `${opts.binary ?? "qemu-img"} is not installed`);
    throw new QemuImgError(args, e.stderr ?? e.message);
  }
}

export const ImageInfoSchema = z.object({
  filename: z.string(),
  format: z.string(),
  "virtual-size": z.number(),
  "actual-size": z.number().optional(),
  "backing-filename": z.string().optional(),
  "full-backing-filename": z.string().optional(),
  "backing-filename-format": z.string().optional(),
  "dirty-flag": z.boolean().optional(),
});
export type ImageInfo = z.infer<typeof ImageInfoSchema>;

/** Thin-provisioned qcow2: only metadata is allocated up front. */
export async function createQcow2(p: { path: string; sizeBytes: number } & QemuImgOptions): Promise<void> {
  await run(["create", "-q", "-f", "qcow2", "-o", "preallocation=off", p.path, String(p.sizeBytes)], p);
}

/** A qcow2 whose unchanged blocks are read from `backingPath` (copy-on-write). */
export async function createLinkedClone(
  p: { path: string; backingPath: string; backingFormat?: "qcow2" | "raw" } & QemuImgOptions,
): Promise<void> {
  await run(["create", "-q", "-f", "qcow2", "-b", p.backingPath, "-F", p.backingFormat ?? "qcow2", p.path], p);
}

export async function resize(p: { path: string; sizeBytes: number; format?: string } & QemuImgOptions): Promise<void> {
  await run(["resize", "-q", "-f", p.format ?? "qcow2", p.path, String(p.sizeBytes)], p);
}

/**
 * Reads an image's metadata. `format` pins the format (never probe untrusted images as qcow2 by accident);
 * `forceShare` reads an image a running QEMU holds open.
 */
export async function info(p: { path: string; format?: string; forceShare?: boolean } & QemuImgOptions): Promise<ImageInfo> {
  const args = ["info", "--output=json"];
  if (p.format) args.push("-f", p.format);
  if (p.forceShare) args.push("-U");
  args.push(p.path);
  const out = await run(args, p);
  return ImageInfoSchema.parse(JSON.parse(out));
}

/** Copies `source` into a new qcow2 at `target` (flattening any backing chain). */
export async function convert(p: { source: string; sourceFormat: "raw" | "qcow2"; target: string } & QemuImgOptions): Promise<void> {
  await run(["convert", "-q", "-f", p.sourceFormat, "-O", "qcow2", p.source, p.target], p);
}

/**
 * `convert` with qemu-img's own progress (`-p` prints "(12.34/100%)" as it copies): `onProgress`
 * gets the percent; aborting `signal` kills the child and the partial `target` is the caller's to
 * remove. A cancelled copy rejects with an AbortError.
 */
export function convertWithProgress(
  p: {
    source: string;
    sourceFormat: "raw" | "qcow2";
    target: string;
    onProgress: (percent: number) => void;
    signal?: AbortSignal;
  } & QemuImgOptions,
): Promise<void> {
  const args = ["convert", "-p", "-f", p.sourceFormat, "-O", "qcow2", p.source, p.target];
  return spawnWithProgress([p.binary ?? "qemu-img", ...args], p);
}

/**
 * Runs a qemu-img command whose argv holds `-p` (`argv[0]` the program: qemu-img, or a wrapper such
 * as `ip netns exec … qemu-img`), feeding its percent to `onProgress`; aborting `signal` kills it
 * and rejects with an AbortError.
 */
export function spawnWithProgress(
  argv: readonly string[],
  p: { onProgress: (percent: number) => void; signal?: AbortSignal },
): Promise<void> {
  const [cmd, ...args] = argv as [string, ...string[]];
  const shown = args.slice(args.indexOf("convert") >= 0 ? args.indexOf("convert") : 0);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], signal: p.signal });
    let stderr = "";
    let last = -1;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      for (const m of chunk.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)) {
        const percent = Number(m[1]);
        if (percent !== last) p.onProgress((last = percent));
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", (err: NodeJS.ErrnoException) => {
      if (err.name === "AbortError") reject(err);
      else reject(new QemuImgError(shown, err.code === "ENOENT" ? `${cmd} is not installed` : err.message));
    });
    child.once("close", (code, signal) => {
      if (p.signal?.aborted) return reject(Object.assign(new Error("the copy was cancelled"), { name: "AbortError" }));
      if (code === 0) resolve();
      else reject(new QemuImgError(shown, stderr || `exited with ${code ?? signal}`));
    });
  });
}

export const CheckResultSchema = z.object({
  filename: z.string(),
  format: z.string(),
  "check-errors": z.number(),
  corruptions: z.number().optional(),
  leaks: z.number().optional(),
  "image-end-offset": z.number().optional(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

/** `qemu-img check`; exit codes 2/3 (corruptions/leaks) still carry a JSON report, which is returned. */
export async function check(p: { path: string } & QemuImgOptions): Promise<CheckResult> {
  const args = ["check", "--output=json", "-f", "qcow2", p.path];
  try {
    const { stdout } = await exec(p.binary ?? "qemu-img", args);
    return CheckResultSchema.parse(JSON.parse(stdout));
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if ((e.code === 2 || e.code === 3) && e.stdout) return CheckResultSchema.parse(JSON.parse(e.stdout));
    throw new QemuImgError(args, e.stderr ?? e.message);
  }
}
