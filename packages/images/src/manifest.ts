import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exists } from "./atomic.ts";

export interface ImageManifest {
  tinyLinux: { kernel: string; initrd: string; cmdline: string };
  memtest: { iso: string };
  grubRescue: { iso: string };
  /** ISO 8601 time the manifest was last written. */
  builtAt: string;
}

export const MANIFEST_FILE = "manifest.json";

export function imagesDir(dataDir: string): string {
  return join(dataDir, "images");
}

const isString = (v: unknown): v is string => typeof v === "string" && v !== "";
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

function parseManifest(v: unknown): ImageManifest | null {
  if (!isObject(v)) return null;
  const { tinyLinux: t, memtest: m, grubRescue: g, builtAt } = v;
  if (!isObject(t) || !isString(t.kernel) || !isString(t.initrd) || typeof t.cmdline !== "string") return null;
  if (!isObject(m) || !isString(m.iso) || !isObject(g) || !isString(g.iso) || !isString(builtAt)) return null;
  return {
    tinyLinux: { kernel: t.kernel, initrd: t.initrd, cmdline: t.cmdline },
    memtest: { iso: m.iso },
    grubRescue: { iso: g.iso },
    builtAt,
  };
}

export function manifestFiles(m: ImageManifest): string[] {
  return [m.tinyLinux.kernel, m.tinyLinux.initrd, m.memtest.iso, m.grubRescue.iso];
}

/** The saved manifest, or null when it is missing, malformed, or lists a file that is gone. */
export async function readManifest(dataDir: string): Promise<ImageManifest | null> {
  let raw: string;
  try {
    raw = await readFile(join(imagesDir(dataDir), MANIFEST_FILE), "utf8");
  } catch {
    return null;
  }
  let parsed: ImageManifest | null;
  try {
    parsed = parseManifest(JSON.parse(raw));
  } catch {
    return null;
  }
  if (parsed === null) return null;
  for (const file of manifestFiles(parsed)) if (!(await exists(file))) return null;
  return parsed;
}

/** Replaces the manifest atomically, so a reader never sees a half-written file. */
export async function writeManifest(dataDir: string, manifest: ImageManifest): Promise<void> {
  const final = join(imagesDir(dataDir), MANIFEST_FILE);
  const temp = `${final}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(manifest, null, 2) + "\n");
  await rename(temp, final);
}
