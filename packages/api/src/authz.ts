// Who may do what: a user's permissions come from grants to them or their groups, globally, on one
// VM, or on one network (where a role counts only for network.use: docs/decisions/0051).
import type { Db } from "@guesthouse/db";
import type { Permission } from "@guesthouse/shared/permissions";

export interface Access {
  global: Set<Permission>;
  /** vmId → permissions granted on that VM only */
  perVm: Map<string, Set<Permission>>;
  /** networkId → permissions granted on that network only (of them, only NETWORK_SCOPED ones count) */
  perNetwork: Map<string, Set<Permission>>;
}

/** What a grant on one network can give. */
export const NETWORK_SCOPED: readonly Permission[] = ["network.use"];

export async function loadAccess(db: Db, userId: string): Promise<Access> {
  // Two indexed lookups; a single OR over a relation filter made Postgres scan every grant.
  const groupIds = (await db.membership.findMany({ where: { userId }, select: { groupId: true } })).map((m) => m.groupId);
  const grants = await db.accessGrant.findMany({
    where: groupIds.length ? { OR: [{ userId }, { groupId: { in: groupIds } }] } : { userId },
    select: grantFacts,
  });
  return foldGrants(grants);
}

const grantFacts = { scope: true, vmId: true, networkId: true, role: { select: { permissions: true } } } as const;

type GrantFacts = { scope: string; vmId: string | null; networkId: string | null; role: { permissions: string[] } };

function addTo(map: Map<string, Set<Permission>>, key: string, perms: Permission[]) {
  const set = map.get(key) ?? new Set<Permission>();
  perms.forEach((p) => set.add(p));
  map.set(key, set);
}

function foldGrants(grants: GrantFacts[]): Access {
  const access: Access = { global: new Set(), perVm: new Map(), perNetwork: new Map() };
  for (const g of grants) {
    const perms = g.role.permissions as Permission[];
    if (g.scope === "global") perms.forEach((p) => access.global.add(p));
    else if (g.scope === "vm" && g.vmId) addTo(access.perVm, g.vmId, perms);
    else if (g.scope === "network" && g.networkId)
      addTo(
        access.perNetwork,
        g.networkId,
        perms.filter((p) => NETWORK_SCOPED.includes(p)),
      );
  }
  return access;
}

export function can(access: Access, permission: Permission, vmId?: string): boolean {
  if (access.global.has(permission)) return true;
  return vmId !== undefined && (access.perVm.get(vmId)?.has(permission) ?? false);
}

/** `permission` globally, or granted on this one network. */
export function canOnNetwork(access: Access, permission: Permission, networkId: string): boolean {
  return access.global.has(permission) || (access.perNetwork.get(networkId)?.has(permission) ?? false);
}

/** Prisma filter for the networks a user may put NICs on (`network.use` globally or on that network). */
export function usableNetworkFilter(access: Access): { id?: { in: string[] } } {
  if (access.global.has("network.use")) return {};
  return { id: { in: [...access.perNetwork].filter(([, perms]) => perms.has("network.use")).map(([id]) => id) } };
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

/**
 * The permissions in `perms` that `granter` does not hold on the scope (globally, or on `vmId`).
 * A grant, a role change or a group membership may never give more than the granter holds there
 * (Proxmox's Permissions.Modify rule): user.admin alone does not make an Administrator.
 */
export function beyondGranter(granter: Access, perms: readonly string[], vmId?: string | null, networkId?: string | null): Permission[] {
  if (networkId) return (perms as Permission[]).filter((p) => NETWORK_SCOPED.includes(p) && !canOnNetwork(granter, p, networkId));
  return (perms as Permission[]).filter((p) => !can(granter, p, vmId ?? undefined));
}

/** The permissions `target` holds (anywhere) that `granter` does not hold on the same scope. */
export function accessBeyond(granter: Access, target: Access): Permission[] {
  const missing = new Set(beyondGranter(granter, [...target.global]));
  for (const [vmId, perms] of target.perVm) beyondGranter(granter, [...perms], vmId).forEach((p) => missing.add(p));
  for (const [networkId, perms] of target.perNetwork) beyondGranter(granter, [...perms], null, networkId).forEach((p) => missing.add(p));
  return [...missing];
}

/** What a group's grants give its members. */
export async function loadGroupAccess(db: Db, groupId: string): Promise<Access> {
  return foldGrants(await db.accessGrant.findMany({ where: { groupId }, select: grantFacts }));
}
