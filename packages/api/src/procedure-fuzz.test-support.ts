// Fuzzes every console procedure, taken from the router itself, with inputs generated from its own
// schemas (zod-arbitrary.test-support.ts), signed in as an administrator so that inputs get past
// the permission check into validation and the handlers. Each answer must be a success or a 4xx:
// a 500, a thrown non-tRPC error or a call that does not settle in time is a bug.
import fc from "fast-check";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { Db } from "@guesthouse/db";
import { appRouter, createCaller } from "./root.ts";
import { createContextInner } from "./context.ts";
import type { HostGateway } from "./host-gateway.ts";
import { arbitraryForChain } from "./zod-arbitrary.test-support.ts";

type ProcedureDef = { type: "query" | "mutation" | "subscription"; inputs: unknown[] };

/** Every procedure of the console router, with its input schemas (as its middlewares parse them). */
export function consoleProcedures(): { path: string; type: ProcedureDef["type"]; inputs: unknown[] }[] {
  return Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>).map(([path, p]) => ({
    path,
    type: p._def.type,
    inputs: p._def.inputs,
  }));
}

export interface FuzzFailure {
  path: string;
  input: unknown;
  answer: string;
}

export interface FuzzOptions {
  db: Db;
  hosts: HostGateway;
  hostId: string;
  casesPerProcedure: number;
  /** A call that has not settled after this long is a hang. */
  callTimeoutMs: number;
  seed?: number;
}

/** One fresh administrator and fresh rows per procedure, so one procedure's effects (a logout, a deleted VM) do not starve the next. */
async function world(db: Db, hostId: string, tag: string) {
  const suffix = `${tag}-${Math.random().toString(36).slice(2, 10)}`;
  const admin = await db.user.create({ data: { email: `fuzz-admin-${suffix}@test.local`, name: "Fuzz admin", passwordHash: "!" } });
  const role = await db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  await db.accessGrant.create({ data: { roleId: role.id, userId: admin.id, scope: "global" } });
  const session = await db.session.create({
    data: { tokenHash: `fuzz-${suffix}`, userId: admin.id, expiresAt: new Date(Date.now() + 3_600_000) },
  });
  const vm = await db.vm.create({ data: { id: `vfz${Math.random().toString(36).slice(2, 12)}`, name: `fuzz-${suffix}`, hostId } });
  const other = await db.user.create({ data: { email: `fuzz-other-${suffix}@test.local`, name: "Other", passwordHash: "!" } });
  const custom = await db.role.create({ data: { name: `fuzz-role-${suffix}`, permissions: ["vm.view"] } });
  const group = await db.group.create({ data: { name: `fuzz-group-${suffix}` } });
  return { admin, session, ids: [vm.id, other.id, custom.id, group.id, hostId, role.id] };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What one call answered: "ok", "4xx CODE", or a description of the bug. */
async function answer(
  fn: (input: unknown) => Promise<unknown>,
  input: unknown,
  timeoutMs: number,
): Promise<{ ok: boolean; answer: string }> {
  const settled = await withTimeout(
    (async () => {
      try {
        const result = await fn(input);
        if (result && typeof result === "object" && Symbol.asyncIterator in result) await (result as AsyncGenerator).return?.(undefined);
        return { ok: true, answer: "ok" };
      } catch (error) {
        if (!(error instanceof TRPCError)) return { ok: false, answer: `threw a non-tRPC error: ${String(error)}` };
        const status = getHTTPStatusCodeFromError(error);
        const cause = error.cause ? ` (cause: ${String(error.cause).slice(0, 300)})` : "";
        return status >= 400 && status < 500
          ? { ok: true, answer: `${status} ${error.code}` }
          : { ok: false, answer: `${status} ${error.code}: ${error.message}${cause}` };
      }
    })(),
    timeoutMs,
  );
  return settled === "timeout" ? { ok: false, answer: `no answer within ${timeoutMs} ms` } : settled;
}

export interface ProcedureReport {
  path: string;
  cases: number;
  answers: Record<string, number>;
  failure?: FuzzFailure;
}

/** Fuzzes one procedure; stops at its first failure (unshrunk: shrinking would replay calls with side effects). */
export async function fuzzProcedure(path: string, inputs: unknown[], options: FuzzOptions): Promise<ProcedureReport> {
  const { admin, session, ids } = await world(options.db, options.hostId, path.replace(/\W/g, ""));
  const caller = createCaller(
    createContextInner({
      db: options.db,
      hosts: options.hosts,
      ip: "fuzz",
      secureCookies: false,
      user: { id: admin.id, email: admin.email, name: "Fuzz admin", sessionId: session.id },
    }),
  );
  const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (i: unknown) => Promise<unknown>;
  const answers: Record<string, number> = {};
  let cases = 0;
  let failure: FuzzFailure | undefined;
  await fc.check(
    fc.asyncProperty(arbitraryForChain(inputs, ids), async (input) => {
      const result = await answer(fn, input, options.callTimeoutMs);
      cases++;
      answers[result.answer] = (answers[result.answer] ?? 0) + 1;
      if (!result.ok) failure = { path, input, answer: result.answer };
      return result.ok;
    }),
    { numRuns: options.casesPerProcedure, ...(options.seed !== undefined ? { seed: options.seed } : {}), endOnFailure: true },
  );
  return { path, cases, answers, ...(failure ? { failure } : {}) };
}
