// The console's environment, read and checked once (docs/conventions.md: env validated in one place).
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgresql://"),
  HOST_TOKEN: z.string().min(32, "HOST_TOKEN must be at least 32 characters"),
  HOST_URL: z.url().default("http://127.0.0.1:3001"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type ConsoleEnv = z.infer<typeof schema>;
let parsed: ConsoleEnv | undefined;

/** Read on first use, not at import: `next build` imports route modules without a runtime env. */
export function env(): ConsoleEnv {
  parsed ??= schema.parse(process.env);
  return parsed;
}
