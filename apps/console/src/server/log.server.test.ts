// tRPC failures are logged as JSON lines carrying the request's id, the procedure path and the
// code: a server error with its cause, a refused call at info level.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { logTrpcFailure } from "./log.server.ts";

type Line = {
  level: number;
  msg: string;
  requestId: string;
  path: string;
  code: string;
  status: number;
  err?: { message: string; stack: string };
};

test("tRPC failures: one request id per request, path and code on every line, the cause of a 500", () => {
  const lines: Line[] = [];
  const logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  const first = new Request("http://console.test/api/trpc/vm.get,vm.start?batch=1");
  const second = new Request("http://console.test/api/trpc/vm.list");

  const invalid = z.object({ vmId: z.string() }).safeParse({ vmId: 42 }).error!;
  logTrpcFailure({ error: new TRPCError({ code: "BAD_REQUEST", cause: invalid }), path: "vm.get", type: "query", req: first }, logger);
  const cause = new Error("connection to the database was lost");
  logTrpcFailure(
    {
      error: new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on the server", cause }),
      path: "vm.start",
      type: "mutation",
      req: first,
    },
    logger,
  );
  logTrpcFailure({ error: new TRPCError({ code: "FORBIDDEN", message: "no" }), path: "vm.list", type: "query", req: second }, logger);

  assert.equal(lines.length, 3);
  const [refused, failed, other] = lines as [Line, Line, Line];
  assert.match(refused.requestId, /^[0-9a-f-]{36}$/);
  assert.equal(failed.requestId, refused.requestId, "one id for the whole (batched) request");
  assert.notEqual(other.requestId, refused.requestId, "another request, another id");
  assert.deepEqual(
    { level: refused.level, path: refused.path, code: refused.code, status: refused.status },
    { level: 30, path: "vm.get", code: "BAD_REQUEST", status: 400 },
  );
  assert.equal(refused.msg, "vmId: Invalid input: expected string, received number", "the field, not the ZodError's JSON");
  assert.deepEqual(
    { level: failed.level, path: failed.path, code: failed.code, status: failed.status },
    { level: 50, path: "vm.start", code: "INTERNAL_SERVER_ERROR", status: 500 },
  );
  assert.equal(failed.err?.message, cause.message);
  assert.match(failed.err?.stack ?? "", /log\.server\.test\.ts/);
});
