// Found by the fault suite: a host service that refused its connection was reported to the person
// as "The database is not answering", because the check read ECONNREFUSED anywhere in the chain.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { TRPCError } from "@trpc/server";
import { createHostClient } from "@guesthouse/host-client";
import { fromDbError, isDbUnreachable } from "./db-errors.ts";

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

test("a host that refuses the connection is not the database", async () => {
  const host = createHostClient({ url: `http://127.0.0.1:${await closedPort()}`, token: "t".repeat(26) });
  const refused = await host.host.info.query().then(
    () => assert.fail("nothing listens there"),
    (e: unknown) => e,
  );
  assert.match(String((refused as Error).message), /ECONNREFUSED|fetch failed/);
  assert.equal(isDbUnreachable(refused), false);
  // Wrapped as a task wraps a host that went away, still not the database.
  const wrapped = new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "The host stopped answering", cause: refused as Error });
  assert.equal(isDbUnreachable(wrapped), false);
  assert.equal(fromDbError(wrapped), wrapped, "passed on as the host's error");
});

test("the database's own refusals still read as the database not answering", () => {
  const prisma = Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), { code: "P1001" });
  assert.equal(isDbUnreachable(prisma), true);
  const adapter = Object.assign(new Error("driver adapter error"), {
    meta: { driverAdapterError: { cause: { kind: "DatabaseNotReachable" } } },
  });
  assert.equal(isDbUnreachable(adapter), true);
});
