// The one place the orchestrator reads its environment (README "Configuration").
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

const port = z.coerce.number().int().min(1).max(65535);
const schema = z.object({
  GUESTHOUSE_DATA: z.string().min(1).default(path.join(repoRoot, ".data")),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgresql://")
    .optional(),
  PORT: port.default(3000),
  HOST_PORT: port.default(3001),
  GUESTHOUSE_PG_PORT: port.default(54329),
  ADMIN_EMAIL: z.email("ADMIN_EMAIL must be an e-mail address").optional(),
  ADMIN_PASSWORD: z.string().min(12, "ADMIN_PASSWORD must have at least 12 characters").optional(),
  GUESTHOUSE_SKIP_IMAGES: z.enum(["0", "1"]).default("0"),
  TLS_CERT: z.string().min(1).optional(),
  TLS_KEY: z.string().min(1).optional(),
  PUBLIC_URL: z.url("PUBLIC_URL must be a URL such as https://vms.example.org").optional(),
});

export type StackEnv = z.infer<typeof schema> & { dataDir: string };

export function readStackEnv(source: NodeJS.ProcessEnv = process.env): StackEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new StackError(`${first?.path.join(".")}: ${first?.message}`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.GUESTHOUSE_DATA) };
}

/** An error whose message is the one clear line the user sees (no stack trace). */
export class StackError extends Error {}
