// The permission vocabulary and the built-in roles (docs/design.md, "Permissions and roles"). One table, used by the
// console's guards, the seed, the UI and the permission tests.
export const VM_PERMISSIONS = [
  "vm.view",
  "vm.power",
  "vm.console",
  "vm.console.view",
  "vm.snapshot",
  "vm.config",
  "vm.create",
  "vm.delete",
  /** Move the VM to another host (Proxmox's VM.Migrate). */
  "vm.migrate",
] as const;
/** network.admin: create and delete networks; network.use: put a VM's NIC on a network (docs/decisions/0021). */
export const GLOBAL_PERMISSIONS = ["media.upload", "user.admin", "host.admin", "audit.view", "network.admin", "network.use"] as const;
export const PERMISSIONS = [...VM_PERMISSIONS, ...GLOBAL_PERMISSIONS] as const;

export type VmPermission = (typeof VM_PERMISSIONS)[number];
export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

export const BUILT_IN_ROLES = {
  Administrator: { description: "Everything", permissions: [...PERMISSIONS] },
  Operator: {
    description: "Power, console and snapshots on the VMs granted",
    permissions: ["vm.view", "vm.power", "vm.console", "vm.console.view", "vm.snapshot"],
  },
  "Console user": { description: "View and console", permissions: ["vm.view", "vm.console", "vm.console.view"] },
  Observer: { description: "View, plus a view-only console", permissions: ["vm.view", "vm.console.view"] },
  Auditor: { description: "The audit log", permissions: ["audit.view"] },
  "Network user": { description: "Put VMs' NICs on the networks granted (grant it on a network)", permissions: ["network.use"] },
} as const satisfies Record<string, { description: string; permissions: readonly Permission[] }>;

export type BuiltInRoleName = keyof typeof BUILT_IN_ROLES;
