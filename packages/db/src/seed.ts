// What every installation has: the built-in roles, the local host, and a first administrator.
import { createHash } from "node:crypto";
import { BUILT_IN_ROLES } from "@guesthouse/shared/permissions";
import type { Db } from "./client.ts";
import { PasswordSchema } from "@guesthouse/shared/console-api";
import { generatePassword, hashPassword } from "./password.ts";

export async function seedBuiltInRoles(db: Db): Promise<void> {
  for (const [name, role] of Object.entries(BUILT_IN_ROLES)) {
    await db.role.upsert({
      where: { name },
      create: { name, description: role.description, permissions: [...role.permissions], builtIn: true },
      update: { description: role.description, permissions: [...role.permissions], builtIn: true },
    });
  }
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Registers (or refreshes) the host service this console talks to; returns its id. */
export async function ensureLocalHost(db: Db, opts: { url: string; token: string }): Promise<string> {
  const host = await db.host.upsert({
    where: { name: "local" },
    create: { name: "local", url: opts.url, tokenHash: sha256(opts.token) },
    update: { url: opts.url, tokenHash: sha256(opts.token) },
  });
  return host.id;
}

export type FirstAdmin = { email: string; password: string; generated: boolean } | null;

/** Creates the first Administrator when there is no user at all; returns the credentials once. */
export async function ensureFirstAdmin(db: Db, opts: { email?: string; password?: string }): Promise<FirstAdmin> {
  if ((await db.user.count()) > 0) return null;
  // The same rule as every other password (PasswordSchema): the container path must not skip it.
  const problem = opts.password === undefined ? undefined : PasswordSchema.safeParse(opts.password).error?.issues[0]?.message;
  if (problem) throw new Error(`ADMIN_PASSWORD is not acceptable: ${problem}`);
  const email = (opts.email ?? "admin@guesthouse.local").toLowerCase();
  const password = opts.password ?? generatePassword();
  const role = await db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  const passwordHash = await hashPassword(password);
  await db.$transaction(async (tx) => {
    const user = await tx.user.create({ data: { email, name: "Administrator", passwordHash } });
    await tx.accessGrant.create({ data: { roleId: role.id, userId: user.id, scope: "global" } });
    await tx.auditEvent.create({
      data: { actorId: user.id, actorName: email, action: "user.create", outcome: "success", detail: { firstAdmin: true } },
    });
  });
  return { email, password, generated: opts.password === undefined };
}
