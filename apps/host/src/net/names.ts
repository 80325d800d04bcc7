/** Names of the interfaces Guesthouse makes: always prefixed `gh`, at most 15 bytes, derived from ids. */
import { createHash } from "node:crypto";

const short = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);

/** The default bridge name for a network id: `ghbr` + 10 hex digits. */
export const bridgeNameFor = (networkId: string) => `ghbr${short(networkId, 10)}`;

/** The VXLAN that stretches a network to other hosts: `ghvx` + 10 hex digits of the network id. */
export const vxlanNameFor = (networkId: string) => `ghvx${short(networkId, 10)}`;

/** The tap of one NIC of one VM: `ght` + 10 hex digits of the VM id + the slot (0–7). */
export const tapNameFor = (vmId: string, slot: number) => `ght${short(vmId, 10)}${slot}`;

export const isTapOf = (name: string, vmId: string) => name.startsWith(`ght${short(vmId, 10)}`) && name.length === 14;
