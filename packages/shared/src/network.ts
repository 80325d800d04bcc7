/** Virtual networks and NICs: the shapes the console, the console API and the host API share. */
import { z } from "zod";

export const NETWORK_KINDS = ["nat", "isolated", "bridged", "user"] as const;
export const NetworkKindSchema = z.enum(NETWORK_KINDS);
export type NetworkKind = z.infer<typeof NetworkKindSchema>;

export const NIC_MODELS = ["virtio-net-pci", "e1000", "rtl8139"] as const;
export const NicModelSchema = z.enum(NIC_MODELS);
export type NicModel = z.infer<typeof NicModelSchema>;

/** Which NIC models each profile offers; the first is the default. */
export const PROFILE_NIC_MODELS = {
  modern: ["virtio-net-pci"],
  legacy: ["rtl8139", "e1000"],
} as const satisfies Record<"modern" | "legacy", readonly NicModel[]>;

export const MAX_NICS = 8;

/**
 * Why a running VM of this profile cannot have NICs plugged or unplugged, or undefined when it can
 * (docs/decisions/0057). Modern: virtio-net on one PCIe root port per slot. Legacy: QEMU offers ACPI
 * hot-plug on i440fx's pci.0, but an rtl8139 plugged that way never appeared in the tiny guest (tried
 * in nic-hotplug.int.test.ts), so it is refused rather than half-working.
 */
export function nicHotplugRefusal(profile: "modern" | "legacy", vmName: string): string | undefined {
  if (profile === "modern") return undefined;
  return `'${vmName}' has the legacy profile (i440fx), whose NICs are not hot-plugged here; power it off before adding or removing a NIC`;
}

/** Locally administered unicast (x2:…), lower-case, colon-separated. QEMU's own prefix is 52:54:00. */
export const MacSchema = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, "MAC: six lower-case hex pairs separated by ':'")
  .refine((m) => (Number.parseInt(m.slice(0, 2), 16) & 1) === 0, "MAC: must be unicast (first octet even)");

/** Interface names Guesthouse makes carry this prefix; it never touches other names (issue 13). */
export const OWNED_IFNAME_PREFIX = "gh";
/** Linux caps interface names at 15 bytes; only characters `ip` and nft take without quoting. */
export const IfnameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, "interface name: 1–15 letters, digits, '_', '.', '-'");

/** The bridge Guesthouse makes for a nat or isolated network row: `ghbr` + the id's last 11 characters. */
export const ownedBridgeName = (networkId: string) => `${OWNED_IFNAME_PREFIX}br${networkId.slice(-11)}`;

export const VlanIdSchema = z.int("VLAN id must be a whole number").min(1, "VLAN id must be 1–4094").max(4094, "VLAN id must be 1–4094");

export interface Ipv4Cidr {
  /** Network address as a 32-bit unsigned number. */
  base: number;
  prefix: number;
}

export function parseIpv4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** `a.b.c.d/p` where the host bits are zero; prefix 16–29 leaves room for gateway, DHCP range and broadcast. */
export function parseCidr(s: string): Ipv4Cidr | undefined {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(s);
  if (!m) return undefined;
  const base = parseIpv4(m[1] as string);
  const prefix = Number(m[2]);
  if (base === undefined || prefix < 16 || prefix > 29) return undefined;
  if (base % 2 ** (32 - prefix) !== 0) return undefined;
  return { base, prefix };
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const block = 2 ** (32 - p);
  return Math.floor(a.base / block) === Math.floor(b.base / block);
}

export const CidrSchema = z
  .string()
  .refine((s) => parseCidr(s) !== undefined, "an IPv4 network such as 10.77.0.0/24 (prefix 16–29, host bits zero)");

/** Gateway (first address), DHCP range (second to last-but-one) and netmask of a subnet. */
export function subnetPlan(cidr: string) {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`not a subnet: ${cidr}`);
  const size = 2 ** (32 - c.prefix);
  const mask = formatIpv4(2 ** 32 - size);
  return {
    gateway: formatIpv4(c.base + 1),
    dhcpStart: formatIpv4(c.base + 2),
    dhcpEnd: formatIpv4(c.base + size - 2),
    netmask: mask,
    prefix: c.prefix,
  };
}

export const NetworkIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,35}$/, "network id: 1–36 lower-case letters, digits and '-'");

/** The VXLAN port IANA assigned (RFC 7348); every host of an overlay uses it. */
export const VXLAN_PORT = 4789;

/**
 * A network's stretch to other hosts: one VXLAN (its VNI) from this host's `local` address to each
 * peer's, on the network's bridge. Frames to unknown MACs go to every peer (head-end replication).
 */
export const OverlaySchema = z.object({
  vni: z.int("vni: a whole number").min(1, "vni must be 1–16777215").max(16_777_215, "vni must be 1–16777215"),
  local: z.union([z.ipv4(), z.ipv6()], { error: "local: an IPv4 or IPv6 address of this host" }),
  peers: z.array(z.union([z.ipv4(), z.ipv6()], { error: "peers: IPv4 or IPv6 addresses" })).max(64, "at most 64 peers"),
});
export type Overlay = z.infer<typeof OverlaySchema>;

/** How the host realises a network; the console sends it, the host keeps a copy to rebuild on start. */
export const HostNetworkSchema = z.discriminatedUnion("kind", [
  z.object({ id: NetworkIdSchema, kind: z.literal("nat"), bridge: IfnameSchema, subnet: CidrSchema, overlay: OverlaySchema.optional() }),
  z.object({
    id: NetworkIdSchema,
    kind: z.literal("isolated"),
    bridge: IfnameSchema,
    subnet: CidrSchema.optional(),
    overlay: OverlaySchema.optional(),
  }),
  z.object({ id: NetworkIdSchema, kind: z.literal("bridged"), bridge: IfnameSchema }),
  // A stretch of a nat or isolated network whose home is another host: its bridge and the overlay
  // only. The home host has the gateway, DHCP and DNS, the masquerade and the port forwards.
  z.object({ id: NetworkIdSchema, kind: z.literal("segment"), bridge: IfnameSchema, overlay: OverlaySchema }),
]);
export type HostNetwork = z.infer<typeof HostNetworkSchema>;

/** The subnet this host serves on the network (the gateway's): none for bridged networks and segments. */
export const servedSubnet = (n: HostNetwork): string | undefined => (n.kind === "nat" || n.kind === "isolated" ? n.subnet : undefined);

export const PortForwardSchema = z.object({
  protocol: z.enum(["tcp", "udp"]),
  hostPort: z.int().min(1, "host port must be 1–65535").max(65535, "host port must be 1–65535"),
  guestMac: MacSchema,
  guestPort: z.int().min(1, "guest port must be 1–65535").max(65535, "guest port must be 1–65535"),
});
export type PortForward = z.infer<typeof PortForwardSchema>;

/** A NIC as the VM spec carries it: where QEMU plugs it in. */
export const VmNicSchema = z.object({
  /** 0–7: the guest-visible order and the tap's name suffix. */
  slot: z
    .int()
    .min(0)
    .max(MAX_NICS - 1),
  mac: MacSchema,
  model: NicModelSchema,
  /** A network the host realised (a bridge it has), or QEMU's user-mode NAT. */
  attach: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("network"), network: NetworkIdSchema, vlan: VlanIdSchema.optional() }),
    z.object({ kind: z.literal("user") }),
  ]),
  linkUp: z.boolean().default(true),
});
export type VmNic = z.infer<typeof VmNicSchema>;

export const NicListSchema = z
  .array(VmNicSchema)
  .max(MAX_NICS, `at most ${MAX_NICS} NICs`)
  .refine((l) => new Set(l.map((n) => n.slot)).size === l.length, "NIC slots must differ")
  .refine((l) => new Set(l.map((n) => n.mac)).size === l.length, "NIC MACs must differ")
  .default([]);

/** A random locally administered unicast MAC under Guesthouse's own first octet (0x5e: bits 1 set, 0 clear). */
export function randomMac(bytes: Uint8Array): string {
  if (bytes.length < 5) throw new Error("randomMac needs 5 random bytes");
  return ["5e", ...Array.from(bytes.slice(0, 5), (b) => b.toString(16).padStart(2, "0"))].join(":");
}
