// Secrets generated on first start and kept in the data folder (mode 0600), so a restart reuses them.
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

const secretsSchema = z.object({ pgPassword: z.string().min(16), hostToken: z.string().min(32) });
export type Secrets = z.infer<typeof secretsSchema>;

export async function loadSecrets(dataDir: string): Promise<Secrets> {
  const file = path.join(dataDir, "secrets.json");
  const existing = await readFile(file, "utf8").catch(() => null);
  if (existing !== null) return secretsSchema.parse(JSON.parse(existing));
  const secrets: Secrets = { pgPassword: randomBytes(18).toString("base64url"), hostToken: randomBytes(32).toString("base64url") };
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: "wx" });
  return secrets;
}
