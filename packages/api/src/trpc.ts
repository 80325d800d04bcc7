// The console API's single initTRPC and its base procedures. Authorisation happens here, once,
// at the procedure boundary: a handler never re-checks a permission (docs/conventions.md, 3).
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Permission } from "@guesthouse/shared/permissions";
import { refusal, VM_OPERATIONS, type PowerState, type VmOperationName } from "@guesthouse/shared/vm-operations";
import type { Context } from "./context.ts";
import { can, loadAccess, type Access } from "./authz.ts";
import { audit } from "./audit.ts";
import { isMapped, mapped, messageFor, toTRPCError } from "./errors.ts";
import { fromDbError } from "./db-errors.ts";
import { badText, badTextError } from "./input-text.ts";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    return {
      ...shape,
      message: zod ? zod.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ") : shape.message,
      data: { ...shape.data, fieldErrors: zod ? z.flattenError(zod).fieldErrors : null },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

// tRPC wraps whatever a handler throws in an INTERNAL_SERVER_ERROR whose cause is the original:
// only those are unwrapped and mapped. An error tRPC has already classified stays as it is: a
// failed input parse is BAD_REQUEST with the ZodError as cause (which the formatter turns into
// the message and fieldErrors), and mapping that cause again would make bad input a 500.
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    if (result.error.code !== "INTERNAL_SERVER_ERROR" || isMapped(result.error)) throw result.error;
    throw toTRPCError(fromDbError(result.error.cause ?? result.error));
  }
  return result;
});

// Before any schema runs: text the database cannot store is bad input (input-text.ts).
const refuseBadText = t.middleware(async ({ getRawInput, next }) => {
  const problem = badText(await getRawInput());
  if (problem) throw new TRPCError({ code: "BAD_REQUEST", message: problem.message, cause: badTextError(problem) });
  return next();
});

// The streams WebSocket carries subscriptions only: a query or mutation there would bypass what
// the HTTP path does for each request (its body limit, its batch limit), so there is one way in.
const refuseNonStreams = t.middleware(({ ctx, type, next }) => {
  if (ctx.streamsOnly && type !== "subscription")
    throw new TRPCError({
      code: "METHOD_NOT_SUPPORTED",
      message: `only subscriptions run over the streams WebSocket; send this ${type} to /api/trpc`,
    });
  return next();
});

export const publicProcedure = t.procedure.use(refuseNonStreams).use(mapErrors).use(refuseBadText);

// Signed in first, input second: a signed-out caller learns nothing about what input would pass.
export const protectedProcedure = t.procedure
  .use(refuseNonStreams)
  .use(mapErrors)
  .use(async ({ ctx, next }) => {
    if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
    return next({ ctx: { ...ctx, user: ctx.user } });
  })
  .use(refuseBadText)
  .use(async ({ ctx, next }) => next({ ctx: { ...ctx, access: await loadAccess(ctx.db, ctx.user.id) } }));

export async function deny(
  ctx: Context & { access: Access },
  path: string,
  permission: Permission,
  vmId?: string,
  vmName?: string,
): Promise<never> {
  await audit(ctx.db, {
    actorId: ctx.user?.id,
    actorName: ctx.user?.email,
    action: path,
    vmId: vmName ? vmId : null,
    vmName: vmName ?? "",
    outcome: "denied",
    detail: { missing: permission, ...(vmId ? { vmId } : {}) },
    ip: ctx.ip,
  });
  const where = vmName ? ` on VM '${vmName}'` : vmId ? " on this VM" : "";
  throw new TRPCError({ code: "FORBIDDEN", message: `You need the '${permission}' permission${where}` });
}

/** A procedure that needs a global permission (user.admin, audit.view, …). */
export function permissionProcedure(permission: Permission) {
  return protectedProcedure.use(async ({ ctx, path, next }) => {
    if (!can(ctx.access, permission)) await deny(ctx, path, permission);
    return next();
  });
}

/** A procedure on one VM: loads it and checks `permission` on it, or refuses. */
export function vmProcedure(permission: Permission) {
  return protectedProcedure.input(z.object({ vmId: z.string().min(1).max(64) })).use(async ({ ctx, input, path, next }) => {
    const vm = await ctx.db.vm.findUnique({ where: { id: input.vmId }, select: { id: true, name: true, hostId: true, state: true } });
    if (!vm && can(ctx.access, permission)) throw new TRPCError({ code: "NOT_FOUND", message: `No VM with id '${input.vmId}'` });
    const visible = vm !== null && can(ctx.access, "vm.view", vm.id);
    if (!vm || !can(ctx.access, permission, vm.id)) await deny(ctx, path, permission, input.vmId, visible ? vm?.name : undefined);
    const result = await next({ ctx: { ...ctx, vm: vm! } });
    // Hosts name VMs by id; the person asking knows the VM by its name.
    if (!result.ok) {
      const error =
        result.error.code === "INTERNAL_SERVER_ERROR" && !isMapped(result.error)
          ? toTRPCError(fromDbError(result.error.cause ?? result.error))
          : result.error;
      throw mapped(new TRPCError({ code: error.code, message: messageFor(error, vm!), cause: error.cause }));
    }
    return result;
  });
}

/**
 * A procedure that runs one operation of the VM operations table: its permission and the states
 * it is allowed in come from the table, so the console refuses exactly what the host would.
 */
export function vmOperationProcedure(op: VmOperationName) {
  return vmProcedure(VM_OPERATIONS[op].permission).use(({ ctx, next }) => {
    const why = refusal(op, ctx.vm.name, ctx.vm.state as PowerState);
    if (why) throw new TRPCError({ code: "CONFLICT", message: why });
    return next();
  });
}
