// Who may do what: a user's permissions come from grants to them or their groups, globally or on one VM.
import type { Db } from "@guesthouse/db";
import type { Permission } from "@guesthouse/shared/permissions";

export interface Access {
  global: Set<Permission>;
  /** vmId → permissions granted on that VM only */
  perVm: Map<string, Set<Permission>>;
}

export async function loadAccess(db: Db, userId: string): Promise<Access> {
  // Two indexed lookups; a single OR over a relation filter made Postgres scan every grant.
  const groupIds = (await db.membership.findMany({ where: { userId }, select: { groupId: true } })).map((m) => m.groupId);
  const grants = await db.accessGrant.findMany({
    where: groupIds.length ? { OR: [{ userId }, { groupId: { in: groupIds } }] } : { userId },
    select: { scope: true, vmId: true, role: { select: { permissions: true } } },
  });
  const access: Access = { global: new Set(), perVm: new Map() };
  for (const g of grants) {
    const perms = g.role.permissions as Permission[];
    if (g.scope === "global") perms.forEach((p) => access.global.add(p));
    else if (g.vmId) {
      const set = access.perVm.get(g.vmId) ?? new Set<Permission>();
      perms.forEach((p) => set.add(p));
      access.perVm.set(g.vmId, set);
    }
  }
  return access;
}

export function can(access: Access, permission: Permission, vmId?: string): boolean {
  if (access.global.has(permission)) return true;
  return vmId !== undefined && (access.perVm.get(vmId)?.has(permission) ?? false);
}

/** Prisma filter for the VMs a user may see (`vm.view` globally or on that VM). */
export function visibleVmFilter(access: Access): { id?: { in: string[] } } {
  if (access.global.has("vm.view")) return {};
  const ids = [...access.perVm].filter(([, perms]) => perms.has("vm.view")).map(([id]) => id);
  return { id: { in: ids } };
}

export function permissionsOn(access: Access, vmId: string): Permission[] {
  return [...new Set([...access.global, ...(access.perVm.get(vmId) ?? [])])];
}

/** For the upload route, which streams outside tRPC but must apply the same rule. */
export async function loadAccessForUpload(db: Db, userId: string): Promise<boolean> {
  return can(await loadAccess(db, userId), "media.upload");
}
