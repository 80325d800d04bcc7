// Bad input is the caller's mistake, never the server's: every console procedure that takes input
// answers a malformed one with BAD_REQUEST (HTTP 400) naming the field, and nothing runs. The
// malformed inputs are built from each procedure's own schemas, so a new procedure is covered
// without touching this file.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { z } from "zod";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { seedBuiltInRoles } from "@guesthouse/db";
import { appRouter, createCaller } from "./root.ts";
import { createContextInner, type ContextInner } from "./context.ts";
import { createHostGateway } from "./host-gateway.ts";

/** A value no field of ours accepts (strings, numbers, booleans, enums, objects, arrays all refuse it). */
const MALFORMED = Symbol("malformed");

/** The keys of an input schema, looking through .optional()/.default()/.pipe() wrappers. */
function keysOf(schema: unknown): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape as object);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable) return keysOf(schema.unwrap());
  if (schema instanceof z.ZodPipe) return keysOf(schema.in);
  return [];
}

type ProcedureDef = { type: "query" | "mutation" | "subscription"; inputs: unknown[] };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>).map(([path, p]) => ({
  path,
  ...p._def,
}));

describe("malformed input to any console procedure", () => {
  let t: TestDatabase;
  let inner: ContextInner;
  let vmId: string;

  before(async () => {
    t = await createTestDatabase();
    await seedBuiltInRoles(t.db);
    const host = await t.db.host.create({ data: { name: "local", url: "http://127.0.0.1:9", tokenHash: "-" } });
    vmId = (await t.db.vm.create({ data: { id: "vbadinput01", name: "bad-input", hostId: host.id } })).id;
    const admin = await t.db.user.create({ data: { email: "admin@test.local", name: "Admin", passwordHash: "!" } });
    const role = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
    await t.db.accessGrant.create({ data: { roleId: role.id, userId: admin.id, scope: "global" } });
    const session = await t.db.session.create({
      data: { tokenHash: "t-admin", userId: admin.id, expiresAt: new Date(Date.now() + 600_000) },
    });
    inner = createContextInner({
      db: t.db,
      // Nothing may reach a host: the address is one nobody answers on.
      hosts: createHostGateway(t.db, "-"),
      ip: "test",
      secureCookies: false,
      user: { id: admin.id, email: admin.email, name: "Admin", sessionId: session.id },
    });
  });
  after(async () => t.drop());

  test("the router has procedures that take input (the walk below is not empty)", () => {
    assert.ok(procedures.filter((p) => p.inputs.length > 0).length >= 30, "procedures with input");
  });

  for (const procedure of procedures.filter((p) => p.inputs.length > 0))
    test(`${procedure.path} (${procedure.type}): a malformed input is BAD_REQUEST naming the field`, async () => {
      const caller = createCaller(inner);
      const fn = procedure.path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (
        i: unknown,
      ) => Promise<unknown>;
      // One case per schema in the chain (a VM procedure checks { vmId } first, then its own fields):
      // the fields of earlier schemas are valid, every field of this one is malformed.
      for (const [index, schema] of procedure.inputs.entries()) {
        const keys = keysOf(schema);
        const input = keys.length ? { ...(index > 0 ? { vmId } : {}), ...Object.fromEntries(keys.map((k) => [k, MALFORMED])) } : MALFORMED;
        let error: unknown;
        try {
          const result = await fn(input);
          if (result && typeof result === "object" && Symbol.asyncIterator in result) await (result as AsyncGenerator).return?.(undefined);
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof TRPCError, `${procedure.path} accepted ${keys.join(", ") || "a symbol"} as input`);
        assert.equal(error.code, "BAD_REQUEST", `${procedure.path} (schema ${index}): ${error.code} ${error.message}`);
        assert.ok(error.cause instanceof z.ZodError, "the zod issues stay attached for the error formatter");
        if (keys.length) {
          const named = error.cause.issues.map((i) => String(i.path[0]));
          assert.ok(
            named.some((k) => keys.includes(k)),
            `the error names a field of the schema (${keys.join(", ")}), got ${named.join(", ")}`,
          );
        }
      }
    });

  // Found by procedure-fuzz.db.test.ts: both reached PostgreSQL and came back as a 500.
  test("a NUL character or a lone surrogate in any string is BAD_REQUEST naming the field, before anything runs", async () => {
    const caller = createCaller(inner);
    for (const [call, field] of [
      [() => caller.vm.get({ vmId: "vm\u0000" }), "vmId"],
      [() => caller.users.setDisabled({ userId: "\u0000x", disabled: true }), "userId"],
      [() => caller.users.createGroup({ name: "group\u0000" }), "name"],
      // A lone surrogate: a text column takes it (as U+FFFD), the audit row's JSON does not.
      [() => caller.users.createGroup({ name: "\ud800" }), "name"],
      [() => caller.access.createRole({ name: "r", description: "x\udc00y", permissions: ["vm.view"] }), "description"],
    ] as const) {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof TRPCError, `${field}: the call succeeded`);
      assert.equal(error.code, "BAD_REQUEST", `${field}: ${error.message}`);
      assert.ok(error.cause instanceof z.ZodError);
      assert.deepEqual(error.cause.issues[0]?.path, [field]);
    }
  });

  test("an audit date outside what the database can store is BAD_REQUEST naming the field", async () => {
    const caller = createCaller(inner);
    for (const input of [{ from: new Date("-271821-04-20T00:00:00Z") }, { to: new Date("+039645-09-09T08:23:22Z") }]) {
      const error = await caller.audit.list(input).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof TRPCError, "the call succeeded");
      assert.equal(error.code, "BAD_REQUEST", error.message);
      assert.ok(error.cause instanceof z.ZodError);
      assert.deepEqual(error.cause.issues[0]?.path, Object.keys(input));
    }
  });

  test("over HTTP: status 400, code BAD_REQUEST, a message and fieldErrors that name the field", async () => {
    const call = (path: string, init: RequestInit & { query?: string } = {}) =>
      fetchRequestHandler({
        endpoint: "/api/trpc",
        req: new Request(`http://console.test/api/trpc/${path}${init.query ?? ""}`, init),
        router: appRouter,
        createContext: () => inner,
      });
    const query = await call("vm.get", { query: `?input=${encodeURIComponent(JSON.stringify(superjson.serialize({ vmId: 42 })))}` });
    const mutation = await call("users.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(superjson.serialize({ email: "not-an-email", name: "X", password: "a-long-password-1" })),
    });
    for (const [response, field] of [
      [query, "vmId"],
      [mutation, "email"],
    ] as const) {
      assert.equal(response.status, 400);
      const body = (await response.json()) as {
        error: { json: { message: string; data: { code: string; httpStatus: number; fieldErrors: Record<string, string[]> } } };
      };
      const { message, data } = body.error.json;
      assert.equal(data.code, "BAD_REQUEST");
      assert.equal(data.httpStatus, 400);
      assert.match(message, new RegExp(`^${field}: `));
      assert.ok(data.fieldErrors[field]?.length, `fieldErrors.${field}`);
    }
  });
});

// The running console (started by `npm test` for this layer): the same answer through the real
// custom server (its /api/trpc endpoint), not only through tRPC's fetch adapter.
const consoleUrl = process.env.CONSOLE_URL;
test("the running console answers a malformed login with 400 naming the field", async () => {
  assert.ok(consoleUrl, "CONSOLE_URL names the console npm test started");
  const response = await fetch(`${consoleUrl}/api/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: consoleUrl! },
    body: JSON.stringify(superjson.serialize({ email: 42, password: "x" })),
  });
  assert.equal(response.status, 400);
  const body = (await response.json()) as {
    error: { json: { message: string; data: { code: string; fieldErrors: Record<string, string[]> } } };
  };
  assert.equal(body.error.json.data.code, "BAD_REQUEST");
  assert.match(body.error.json.message, /^email: /);
  assert.ok(body.error.json.data.fieldErrors.email?.length);
});

test("the running console answers a signed-out call carrying a NUL with 401, not 400", async () => {
  assert.ok(consoleUrl, "CONSOLE_URL names the console npm test started");
  const input = encodeURIComponent(JSON.stringify(superjson.serialize({ vmId: "vm\u0000" })));
  const response = await fetch(`${consoleUrl}/api/trpc/vm.get?input=${input}`, { headers: { origin: consoleUrl! } });
  assert.equal(response.status, 401);
  const body = (await response.json()) as { error: { json: { message: string; data: { code: string; fieldErrors: unknown } } } };
  assert.equal(body.error.json.data.code, "UNAUTHORIZED");
  assert.equal(body.error.json.message, "Sign in first");
  assert.equal(body.error.json.data.fieldErrors, null, "nothing about the input");
});
