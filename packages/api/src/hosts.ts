import type { Db } from "@guesthouse/db";
import { NotFound } from "./errors.ts";

/** Wave 1 places every VM on the local host. */
export async function localHostId(db: Db): Promise<string> {
  const host = await db.host.findUnique({ where: { name: "local" }, select: { id: true } });
  if (!host) throw new NotFound("No host service is registered: start Guesthouse with 'npm run up'");
  return host.id;
}
