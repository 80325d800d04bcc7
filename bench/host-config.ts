// The host configuration every guest benchmark uses: the product's engine settings (QEMU_BINARY,
// GUESTHOUSE_ACCEL=auto|kvm|tcg) and its accelerator probe, so KVM and TCG rows come from one script.
import { join } from "node:path";
import { imagesDir } from "@guesthouse/images";
import { probeAccelerator } from "@guesthouse/qemu/accel";
import type { HostConfig } from "../apps/host/src/config.ts";
import { readEngineEnv } from "../apps/host/src/env.ts";

export const benchImagesData = process.env.GUESTHOUSE_DATA ?? join(process.cwd(), ".data");

export async function benchHostConfig(dataDir: string): Promise<HostConfig> {
  const engine = readEngineEnv();
  return {
    dataDir,
    mediaDirs: [imagesDir(benchImagesData)],
    qemuBinary: engine.qemuBinary,
    qemuImgBinary: engine.qemuImgBinary,
    accel: await probeAccelerator({ binary: engine.qemuBinary, mode: engine.accelMode }),
    tcgTbSizeMiB: 32,
    serialBufferBytes: 256 * 1024,
    mediaMaxBytes: 1024 ** 3,
  };
}

/** "KVM" or "TCG", with the CPU model the benchmark's guests get. */
export function accelLabel(config: HostConfig): string {
  return `${config.accel.accel.toUpperCase()} (cpu ${config.accel.baseline ?? "?"})`;
}
