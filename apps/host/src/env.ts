/** The only place the host service reads process.env. */
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { detectAccel } from "@guesthouse/qemu/accel";
import { z } from "zod";
import type { HostConfig } from "./config.ts";

const REPO_ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

const EnvSchema = z.object({
  GUESTHOUSE_DATA: z.string().min(1).default(resolve(REPO_ROOT, ".data")),
  HOST_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  HOST_BIND: z.string().min(1).default("127.0.0.1"),
  HOST_TOKEN: z
    .string({ error: "HOST_TOKEN is not set: the host API needs a token (at least 16 characters)" })
    .min(16, "HOST_TOKEN must be at least 16 characters"),
  /** Extra folders (colon-separated) whose ISOs and images guests may use. */
  HOST_MEDIA_DIRS: z.string().default(""),
  QEMU_BINARY: z.string().min(1).default("qemu-system-x86_64"),
  QEMU_IMG_BINARY: z.string().min(1).default("qemu-img"),
  QEMU_TCG_TB_SIZE_MIB: z.coerce.number().int().min(1).max(4096).default(64),
  MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(16 * 1024 ** 3),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
});

export interface HostEnv {
  config: HostConfig;
  port: number;
  bind: string;
  token: string;
  logLevel: string;
}

export class EnvError extends Error {
  override name = "EnvError";
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): HostEnv {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new EnvError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  const e = parsed.data;
  return {
    config: {
      dataDir: resolve(e.GUESTHOUSE_DATA),
      mediaDirs: e.HOST_MEDIA_DIRS.split(":")
        .filter(Boolean)
        .map((d) => resolve(d)),
      qemuBinary: e.QEMU_BINARY,
      qemuImgBinary: e.QEMU_IMG_BINARY,
      accel: detectAccel(),
      tcgTbSizeMiB: e.QEMU_TCG_TB_SIZE_MIB,
      serialBufferBytes: 256 * 1024,
      mediaMaxBytes: parsed.data.MEDIA_MAX_BYTES,
    },
    port: e.HOST_PORT,
    bind: e.HOST_BIND,
    token: e.HOST_TOKEN,
    logLevel: e.LOG_LEVEL,
  };
}
