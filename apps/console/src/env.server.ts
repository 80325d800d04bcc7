// The console's environment, read and checked once (docs/conventions.md: env validated in one place).
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgresql://"),
  HOST_TOKEN: z.string().min(32, "HOST_TOKEN must be at least 32 characters"),
  HOST_URL: z.url().default("http://127.0.0.1:3001"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  GUESTHOUSE_DATA: z.string().min(1).default(".data"),
  // https on the same port (docs/decisions/0011-http-and-https.md): the operator's pair, or a self-signed one.
  TLS_CERT: z.string().min(1).optional(),
  TLS_KEY: z.string().min(1).optional(),
  REQUIRE_HTTPS: z.enum(["0", "1"]).default("0"),
  PUBLIC_URL: z.url("PUBLIC_URL must be a URL such as https://vms.example.org").optional(),
  // Heartbeats (docs/decisions/0036-host-heartbeats.md): how often each host is asked, and how long
  // it may stay silent before it is shown unreachable and its VMs unknown.
  HOST_HEARTBEAT_MS: z.coerce.number().int().min(100, "HOST_HEARTBEAT_MS: at least 100").max(600_000).default(5000),
  HOST_UNREACHABLE_AFTER_S: z.coerce.number().min(0.2, "HOST_UNREACHABLE_AFTER_S: at least 0.2").max(3600).default(15),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type ConsoleEnv = z.infer<typeof schema>;
let parsed: ConsoleEnv | undefined;

/** Read on first use, not at import: `next build` imports route modules without a runtime env. */
export function env(): ConsoleEnv {
  parsed ??= schema.parse(process.env);
  return parsed;
}
