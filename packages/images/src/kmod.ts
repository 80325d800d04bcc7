import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { runBytes } from "./run.ts";

export interface KernelModule {
  name: string;
  /** Uncompressed ELF object: busybox insmod cannot be relied on to decompress. */
  data: Buffer;
  depends: string[];
}

const MODULE_FILE = /^(.+)\.ko(\.xz|\.zst|\.gz)?$/;
// The kernel treats '-' and '_' in module names as the same character.
const canonical = (name: string): string => name.replaceAll("-", "_");

/** Maps canonical module name → file path for every module under `modulesDir`. */
export async function indexModules(modulesDir: string): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  for (const rel of await readdir(modulesDir, { recursive: true })) {
    const m = MODULE_FILE.exec(basename(rel));
    if (m?.[1]) index.set(canonical(m[1]), join(modulesDir, rel));
  }
  return index;
}

async function loadObject(file: string): Promise<Buffer> {
  if (file.endsWith(".ko")) return readFile(file);
  if (file.endsWith(".ko.gz")) return gunzipSync(await readFile(file));
  // Debian kernels after bookworm ship .ko.xz / .ko.zst; xz-utils and zstd are the host tools for those.
  const tool = file.endsWith(".ko.xz") ? "xz" : "zstd";
  return runBytes(tool, ["-dc", file]);
}

/** Reads `depends=` from the module's .modinfo strings (modules.dep is only made by depmod at install). */
export function modinfoDepends(obj: Buffer): string[] {
  const key = Buffer.from("\0depends=");
  const at = obj.indexOf(key);
  if (at < 0) return [];
  const start = at + key.length;
  const end = obj.indexOf(0, start);
  const value = obj.subarray(start, end < 0 ? obj.length : end).toString("utf8");
  return value === "" ? [] : value.split(",").map(canonical);
}

/** Names listed in modules.builtin: compiled into the kernel, so there is nothing to load. */
async function builtinModules(modulesDir: string): Promise<Set<string>> {
  const text = await readFile(join(modulesDir, "modules.builtin"), "utf8").catch(() => "");
  const names = text.split("\n").map((line) => MODULE_FILE.exec(basename(line.trim()))?.[1]);
  return new Set(names.filter((n): n is string => n !== undefined).map(canonical));
}

/** Loads `wanted` and their dependencies, ordered so each module follows what it depends on. */
export async function resolveModules(modulesDir: string, wanted: readonly string[]): Promise<KernelModule[]> {
  const index = await indexModules(modulesDir);
  const builtin = await builtinModules(modulesDir);
  const ordered: KernelModule[] = [];
  const state = new Map<string, "visiting" | "done">();

  const visit = async (raw: string): Promise<void> => {
    const name = canonical(raw);
    if (state.get(name) === "done" || (builtin.has(name) && !index.has(name))) return;
    if (state.get(name) === "visiting") throw new Error(`kernel module dependency cycle at ${name}`);
    const file = index.get(name);
    if (file === undefined) throw new Error(`kernel module ${name} not found under ${modulesDir}`);
    state.set(name, "visiting");
    const data = await loadObject(file);
    const depends = modinfoDepends(data);
    for (const dep of depends) await visit(dep);
    state.set(name, "done");
    ordered.push({ name, data, depends });
  };

  for (const name of wanted) await visit(name);
  return ordered;
}
