// No one hands out more than they hold (docs/decisions/0014-grants-within-the-granter.md): the
// refusal for a grant, role change, membership or account change that would exceed the caller.
import { TRPCError } from "@trpc/server";
import type { Permission } from "@guesthouse/shared/permissions";
import type { Db } from "@guesthouse/db";
import type { Access } from "./authz.ts";
import { audit } from "./audit.ts";

interface Caller {
  db: Db;
  user: { id: string; email: string };
  access: Access;
  ip: string;
}

/** Refuses (FORBIDDEN, audited as denied) when `missing` is not empty. */
export async function refuseBeyondGranter(ctx: Caller, action: string, missing: readonly Permission[], what: string): Promise<void> {
  if (missing.length === 0) return;
  await audit(ctx.db, {
    actorId: ctx.user.id,
    actorName: ctx.user.email,
    action,
    outcome: "denied",
    detail: { missing: [...missing], reason: "beyond the granter's own permissions" },
    ip: ctx.ip,
  });
  throw new TRPCError({
    code: "FORBIDDEN",
    message: `${what} needs ${missing.map((p) => `'${p}'`).join(", ")}, which you do not hold there yourself`,
  });
}
