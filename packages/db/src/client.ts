import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client.ts";

export type Db = PrismaClient;

/** One client per process; the driver adapter needs no engine binary. */
export function createDb(url: string): Db {
  // A server that accepts no connection (stopped mid-start, overloaded) must not hold a request
  // forever: after 5 s the call fails, and the console answers 503 (db-errors.ts in the api package).
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 }) });
}
