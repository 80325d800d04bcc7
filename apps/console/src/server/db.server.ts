// One Prisma client per process, shared by Next's route code and the custom server via globalThis.
import { createDb, type Db } from "@guesthouse/db";
import { createHostGateway, type HostGateway } from "@guesthouse/api";
import { env } from "../env.server.ts";

const store = globalThis as unknown as { __ghDb?: Db; __ghHosts?: HostGateway };

export function db(): Db {
  return (store.__ghDb ??= createDb(env().DATABASE_URL));
}

export function hosts(): HostGateway {
  return (store.__ghHosts ??= createHostGateway(db(), env().HOST_TOKEN));
}
