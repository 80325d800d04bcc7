/** Host capacity figures, read from /proc and the QEMU binary. */
import { readFile, statfs } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { AccelInfo } from "@guesthouse/shared/cpu-models";

export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
}

export async function memInfo(): Promise<MemInfo> {
  const text = await readFile("/proc/meminfo", "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024;
  return { totalBytes: kb("MemTotal"), availableBytes: kb("MemAvailable") };
}

export interface HostInfo {
  cores: number;
  memTotalBytes: number;
  memFreeBytes: number;
  /** Free space in the data folder, where disks, overlays and saved states go. */
  diskFreeBytes: number;
  kvm: boolean;
  accel: AccelInfo["accel"];
  /** The probe's findings: summary in words, CPU models that run, the migratable baseline. */
  cpu: AccelInfo;
  qemuVersion: string;
  vmCount: number;
  runningVmCount: number;
  /** Who QEMU runs as (ADR 0025): a user of its own, or the service's user when not root, and why. */
  qemuUser: { name: string; uid: number; dedicated: boolean; summary: string };
  /** The machine's kernel boot id: a new one means the machine booted again (start at boot). */
  bootId: string;
  /** Where other hosts reach this one for a move (HOST_MIGRATION_ADDRESS); null: the API URL's host. */
  migrationAddress: string | null;
}

const MIB = 1024 * 1024;

export const KERNEL_BOOT_ID = "/proc/sys/kernel/random/boot_id";

export async function bootId(file = KERNEL_BOOT_ID): Promise<string> {
  return (await readFile(file, "utf8")).trim();
}

export async function hostInfo(p: {
  dataDir: string;
  accel: AccelInfo;
  qemuVersion: string;
  vmCount: number;
  runningVmCount: number;
  qemuUser: HostInfo["qemuUser"];
  bootIdFile?: string;
  migrationAddress?: string;
  /** Tests only: a RAM figure of the test's, and the memory its running guests take of it. */
  testMemory?: { totalMiB: number; runningMiB: number };
}): Promise<HostInfo> {
  const mem = p.testMemory
    ? { totalBytes: p.testMemory.totalMiB * MIB, availableBytes: Math.max(0, p.testMemory.totalMiB - p.testMemory.runningMiB) * MIB }
    : await memInfo();
  const fs = await statfs(p.dataDir);
  return {
    cores: availableParallelism(),
    memTotalBytes: mem.totalBytes,
    memFreeBytes: mem.availableBytes,
    diskFreeBytes: fs.bavail * fs.bsize,
    kvm: p.accel.accel === "kvm",
    accel: p.accel.accel,
    cpu: p.accel,
    qemuVersion: p.qemuVersion,
    vmCount: p.vmCount,
    runningVmCount: p.runningVmCount,
    qemuUser: p.qemuUser,
    bootId: await bootId(p.bootIdFile),
    migrationAddress: p.migrationAddress ?? null,
  };
}
