/** The only place the host service reads process.env. */
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import type { AccelMode } from "@guesthouse/qemu/accel";
import { z } from "zod";
import type { HostConfig } from "./config.ts";
import { hostname } from "node:os";
import { JoinError, parseJoin } from "./join.ts";
import { MigrationHostSchema } from "@guesthouse/shared/host-migration-api";

const REPO_ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** What picks and runs QEMU; also read by the integration tests, so they run guests as the product does. */
const EngineEnvSchema = z.object({
  QEMU_BINARY: z.string().min(1).default("qemu-system-x86_64"),
  QEMU_IMG_BINARY: z.string().min(1).default("qemu-img"),
  GUESTHOUSE_ACCEL: z.enum(["auto", "kvm", "tcg"], { error: "GUESTHOUSE_ACCEL must be auto, kvm or tcg" }).default("auto"),
});

const EnvSchema = EngineEnvSchema.extend({
  GUESTHOUSE_DATA: z.string().min(1).default(resolve(REPO_ROOT, ".data")),
  HOST_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  HOST_BIND: z.string().min(1).default("127.0.0.1"),
  /** Optional once the host has joined a console (its credential is in the data folder, join.ts). */
  HOST_TOKEN: z.string().min(16, "HOST_TOKEN must be at least 16 characters").optional(),
  /** <console-url>#<join-token>: register with that console at the first start (ADR 0034). */
  GUESTHOUSE_JOIN: z.string().min(1).max(500).optional(),
  /** The name this host registers under; default: the machine's host name. */
  HOST_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "HOST_NAME: lower-case letters, digits and '-', starting with a letter or digit")
    .optional(),
  /** How the console reaches this host's API; default http://<HOST_BIND>:<HOST_PORT>. */
  HOST_PUBLIC_URL: z.url("HOST_PUBLIC_URL must be a URL such as http://10.0.0.5:3001").optional(),
  /** Extra folders (colon-separated) whose ISOs and images guests may use. */
  HOST_MEDIA_DIRS: z.string().default(""),
  QEMU_TCG_TB_SIZE_MIB: z.coerce.number().int().min(1).max(4096).default(64),
  MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(16 * 1024 ** 3),
  /** Realise networks (bridges, taps, dnsmasq, nftables, QEMU) inside this network namespace. */
  GUESTHOUSE_NETNS: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "GUESTHOUSE_NETNS must name a network namespace (letters, digits, '_', '.', '-')")
    .optional(),
  /** Tests only: a file that stands in for the kernel's boot id (a "reboot" is a new id in it). */
  GUESTHOUSE_BOOT_ID_FILE: z.string().min(1).optional(),
  /** Whether a default NAT network may be made: auto (inside GUESTHOUSE_NETNS only), on, off (ADR 0037). */
  GUESTHOUSE_DEFAULT_NETWORK: z
    .enum(["auto", "on", "off"], { error: "GUESTHOUSE_DEFAULT_NETWORK must be auto, on or off" })
    .default("auto"),
  /** Tests only: the RAM this host reports (MiB), less its running guests' memory as free (maintenance tests). */
  GUESTHOUSE_TEST_MEMORY_MIB: z.coerce.number().int().min(64).max(1_048_576).optional(),
  /** Where other hosts reach this one for moves (RAM stream, disk copies); default: HOST_PUBLIC_URL's host. */
  HOST_MIGRATION_ADDRESS: MigrationHostSchema.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
});

export interface EngineEnv {
  qemuBinary: string;
  qemuImgBinary: string;
  accelMode: AccelMode;
}

export interface HostEnv {
  /** Everything but the accelerator, which main.ts probes before the service opens. */
  config: Omit<HostConfig, "accel">;
  accelMode: AccelMode;
  port: number;
  bind: string;
  /** Absent when the credential comes from the data folder or a join (join.ts). */
  token: string | undefined;
  join: { consoleUrl: string; token: string; name: string; url: string | undefined } | undefined;
  logLevel: string;
}

export class EnvError extends Error {
  override name = "EnvError";
}

function parse<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new EnvError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  return parsed.data;
}

export function readEngineEnv(env: NodeJS.ProcessEnv = process.env): EngineEnv {
  const e = parse(EngineEnvSchema, env);
  return { qemuBinary: e.QEMU_BINARY, qemuImgBinary: e.QEMU_IMG_BINARY, accelMode: e.GUESTHOUSE_ACCEL };
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): HostEnv {
  const e = parse(EnvSchema, env);
  return {
    config: {
      dataDir: resolve(e.GUESTHOUSE_DATA),
      mediaDirs: e.HOST_MEDIA_DIRS.split(":")
        .filter(Boolean)
        .map((d) => resolve(d)),
      qemuBinary: e.QEMU_BINARY,
      qemuImgBinary: e.QEMU_IMG_BINARY,
      tcgTbSizeMiB: e.QEMU_TCG_TB_SIZE_MIB,
      serialBufferBytes: 256 * 1024,
      mediaMaxBytes: e.MEDIA_MAX_BYTES,
      netns: e.GUESTHOUSE_NETNS,
      bootIdFile: e.GUESTHOUSE_BOOT_ID_FILE,
      defaultNetwork: e.GUESTHOUSE_DEFAULT_NETWORK,
      migrationAddress: e.HOST_MIGRATION_ADDRESS,
      testMemoryMiB: e.GUESTHOUSE_TEST_MEMORY_MIB,
    },
    accelMode: e.GUESTHOUSE_ACCEL,
    port: e.HOST_PORT,
    bind: e.HOST_BIND,
    token: e.HOST_TOKEN,
    join: e.GUESTHOUSE_JOIN
      ? { ...parseJoinEnv(e.GUESTHOUSE_JOIN), name: e.HOST_NAME ?? defaultHostName(), url: e.HOST_PUBLIC_URL }
      : undefined,
    logLevel: e.LOG_LEVEL,
  };
}

function parseJoinEnv(value: string): ReturnType<typeof parseJoin> {
  try {
    return parseJoin(value);
  } catch (err) {
    if (err instanceof JoinError) throw new EnvError(err.message);
    throw err;
  }
}

/** The machine's name, as a host name the console accepts. */
function defaultHostName(): string {
  const name = hostname()
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63);
  return name || "host";
}
