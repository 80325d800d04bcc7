import { copyFile } from "node:fs/promises";
import { ensureInstalled } from "./apt.ts";
import { run } from "./run.ts";

/** A bootable ISO that a Debian package ships ready-made; we only copy it. */
export interface PackagedIso {
  pkg: string;
  /** File name the package installs it under (found through `dpkg -L`, so its folder may move). */
  fileName: string;
}

export const MEMTEST_ISO: PackagedIso = { pkg: "memtest86+", fileName: "memtest86+x64.iso" };
export const GRUB_RESCUE_ISO: PackagedIso = { pkg: "grub-rescue-pc", fileName: "grub-rescue-cdrom.iso" };

export async function locateIso(iso: PackagedIso): Promise<string> {
  const listing = await run("dpkg", ["-L", iso.pkg]);
  const path = listing.split("\n").find((line) => line.trim().endsWith("/" + iso.fileName));
  if (path === undefined) throw new Error(`package ${iso.pkg} does not ship ${iso.fileName}`);
  return path.trim();
}

/** Installs the package if needed and copies its ISO to `dest`. */
export async function copyPackagedIso(iso: PackagedIso, dest: string, log: (line: string) => void): Promise<void> {
  await ensureInstalled([iso.pkg], log);
  const source = await locateIso(iso);
  log(`${iso.fileName}: copying from ${source}`);
  await copyFile(source, dest);
}
