import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./root.ts";

export { appRouter, createCaller, type AppRouter } from "./root.ts";
export { createContextInner, type Context, type SessionUser } from "./context.ts";
export { createHostGateway, type HostGateway, type HostClient } from "./host-gateway.ts";
export { findSessionUser, readCookie, SESSION_COOKIE, SECURE_SESSION_COOKIE, sessionCookieName } from "./session.ts";
export { displayTickets, type Ticket } from "./display/tickets.ts";
export { displayViewers } from "./display/viewers.ts";
export { audit } from "./audit.ts";
export { markHostUnknown, recordVmState } from "./vm-state.ts";
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export { specForVm } from "./vm-spec.ts";
export { can, loadAccess, loadAccessForUpload } from "./authz.ts";
export { reconcileSnapshots } from "./snapshot-reconcile.ts";
export { applyUndoPolicy } from "./undo-policy.ts";
export { runTask, finishTask, CONSOLE_INSTANCE } from "./tasks.ts";
export { reconcileTasks } from "./task-reconcile.ts";
