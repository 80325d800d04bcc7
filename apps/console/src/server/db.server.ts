// One Prisma client and one host gateway per process, shared by Next's route code and the custom
// server (processWide says why).
import { createDb, type Db } from "@guesthouse/db";
import { createHostGateway, type HostGateway } from "@guesthouse/api";
import { processWide } from "@guesthouse/shared/process-wide";
import { env } from "../env.server.ts";

export function db(): Db {
  return processWide("db", () => createDb(env().DATABASE_URL));
}

export function hosts(): HostGateway {
  return processWide("host-gateway", () => createHostGateway(db(), env().HOST_TOKEN, { dataDir: env().GUESTHOUSE_DATA }));
}
