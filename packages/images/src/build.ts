import { mkdir, readdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { exists, publishAtomically, removeStalePartials } from "./atomic.ts";
import { copyPackagedIso, GRUB_RESCUE_ISO, MEMTEST_ISO, type PackagedIso } from "./iso-images.ts";
import { imagesDir, manifestFiles, readManifest, writeManifest, type ImageManifest } from "./manifest.ts";
import { buildTinyLinux, TINY_CMDLINE, TINY_INITRD_FILE, TINY_KERNEL_FILE, tinyRecipeId } from "./tiny-linux.ts";

export interface EnsureImagesOptions {
  dataDir: string;
  log?: (line: string) => void;
}

const TINY_DIR_PREFIX = "tiny-linux-";
const TINY_DIR = TINY_DIR_PREFIX + tinyRecipeId();

/** Where each image lives for a given data folder; the manifest only ever lists these paths. */
export function imagePaths(dataDir: string): Omit<ImageManifest, "builtAt"> {
  const dir = imagesDir(dataDir);
  return {
    tinyLinux: {
      kernel: join(dir, TINY_DIR, TINY_KERNEL_FILE),
      initrd: join(dir, TINY_DIR, TINY_INITRD_FILE),
      cmdline: TINY_CMDLINE,
    },
    memtest: { iso: join(dir, MEMTEST_ISO.fileName) },
    grubRescue: { iso: join(dir, GRUB_RESCUE_ISO.fileName) },
  };
}

async function ensureTinyLinux(dir: string, paths: ImageManifest["tinyLinux"], log: (l: string) => void): Promise<void> {
  if ((await exists(paths.kernel)) && (await exists(paths.initrd))) return;
  // Published folders are complete by construction; a partial one was edited by hand, so start over.
  await rm(join(dir, TINY_DIR), { recursive: true, force: true });
  const started = Date.now();
  await publishAtomically(dir, TINY_DIR, async (work) => {
    const out = join(work, TINY_DIR);
    await mkdir(out);
    // Scratch lives in the partial folder too, so a killed build's 400 MB is swept with it.
    const pkg = await buildTinyLinux(out, join(work, "scratch"), log);
    log(`tiny-linux: built from ${pkg} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return out;
  });
}

async function ensureIso(dir: string, iso: PackagedIso, dest: string, log: (l: string) => void): Promise<void> {
  if (await exists(dest)) return;
  await publishAtomically(dir, iso.fileName, async (work) => {
    const temp = join(work, iso.fileName);
    await copyPackagedIso(iso, temp, log);
    return temp;
  });
}

/** Older recipes' folders are unlisted once the new manifest is in place; QEMU reads -kernel only at start. */
async function removeOldTinyBuilds(dir: string, log: (l: string) => void): Promise<void> {
  for (const entry of await readdir(dir)) {
    // 'tiny-linux' without a suffix is the layout before recipe ids.
    if ((entry.startsWith(TINY_DIR_PREFIX) || entry === "tiny-linux") && entry !== TINY_DIR) {
      await rm(join(dir, entry), { recursive: true, force: true });
      log(`removed old build ${entry}`);
    }
  }
}

function sameImages(a: Omit<ImageManifest, "builtAt">, b: ImageManifest): boolean {
  const { builtAt: _ignored, ...rest } = b;
  return JSON.stringify(a) === JSON.stringify(rest);
}

async function buildMissing(dataDir: string, log: (line: string) => void): Promise<ImageManifest> {
  const dir = imagesDir(dataDir);
  await mkdir(dir, { recursive: true });
  await removeStalePartials(dir);
  const paths = imagePaths(dataDir);
  await ensureTinyLinux(dir, paths.tinyLinux, log);
  await ensureIso(dir, MEMTEST_ISO, paths.memtest.iso, log);
  await ensureIso(dir, GRUB_RESCUE_ISO, paths.grubRescue.iso, log);

  const current = await readManifest(dataDir);
  if (current !== null && sameImages(paths, current)) return current;
  const manifest: ImageManifest = { ...paths, builtAt: new Date().toISOString() };
  for (const file of manifestFiles(manifest)) {
    if (!(await exists(file))) throw new Error(`image build finished but ${file} is missing`);
  }
  await writeManifest(dataDir, manifest);
  log(`manifest written: ${join(dir, "manifest.json")}`);
  await removeOldTinyBuilds(dir, log);
  return manifest;
}

// One build per data folder at a time within this process; other processes are handled by rename().
const inFlight = new Map<string, Promise<ImageManifest>>();

/** Builds whatever images are missing under `${dataDir}/images` and returns the manifest. */
export function ensureImages(opts: EnsureImagesOptions): Promise<ImageManifest> {
  const log = opts.log ?? (() => {});
  // The manifest promises absolute paths, whatever form of the folder the caller passed.
  const dataDir = resolve(opts.dataDir);
  const pending = inFlight.get(dataDir);
  if (pending) return pending;
  const job = buildMissing(dataDir, log).finally(() => inFlight.delete(dataDir));
  inFlight.set(dataDir, job);
  return job;
}
