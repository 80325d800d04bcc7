/** `-netdev`/`-device` pairs for a VM's NICs: taps the host service made, or user-mode NAT. */
import { MAX_NICS, PROFILE_NIC_MODELS, type VmNic } from "@guesthouse/shared/network";
import type { VmSpec } from "@guesthouse/shared/vm";
import { ArgvError } from "./argv-error.ts";

/** QMP names of a NIC's backend and device: `set_link` takes the device id. */
export const nicDeviceId = (slot: number) => `nic${slot}`;
export const nicNetdevId = (slot: number) => `net${slot}`;
/** The modern profile's PCIe root port for NIC slot `slot`: q35's pcie.0 cannot hot-plug, a root port can. */
export const nicPortId = (slot: number) => `nicport${slot}`;

/**
 * One hot-pluggable PCIe root port per NIC slot on the modern profile, always all of them, so the
 * machine's device set does not depend on how many NICs it has (docs/decisions/0057). Legacy's
 * i440fx has no PCIe; its NICs sit on pci.0.
 */
export function nicPortArgs(spec: VmSpec): string[] {
  if (spec.profile !== "modern") return [];
  return Array.from({ length: MAX_NICS }, (_, slot) => ["-device", `pcie-root-port,id=${nicPortId(slot)},chassis=${slot + 1}`]).flat();
}

/** The `-device`/device_add properties of one NIC (without its boot index). */
export function nicDeviceProps(profile: VmSpec["profile"], nic: VmNic): Record<string, string> {
  const props: Record<string, string> = { driver: nic.model, netdev: nicNetdevId(nic.slot), id: nicDeviceId(nic.slot), mac: nic.mac };
  if (profile === "modern") props.bus = nicPortId(nic.slot);
  return props;
}

export function nicArgs(spec: VmSpec, taps: Readonly<Record<number, string>>, bootIndex: number | undefined): string[] {
  const allowed: readonly string[] = PROFILE_NIC_MODELS[spec.profile];
  const out: string[] = [];
  const ordered = [...spec.nics].sort((a, b) => a.slot - b.slot);
  ordered.forEach((nic, i) => {
    if (!allowed.includes(nic.model)) {
      throw new ArgvError(`NIC ${nic.slot}: the ${spec.profile} profile offers ${allowed.join(" or ")}, not ${nic.model}`);
    }
    out.push("-netdev", netdev(nic, taps));
    const boot = i === 0 && bootIndex !== undefined ? `,bootindex=${bootIndex}` : "";
    const { driver, ...props } = nicDeviceProps(spec.profile, nic);
    const rest = Object.entries(props).map(([k, v]) => `${k}=${v}`);
    out.push("-device", `${[driver, ...rest].join(",")}${boot}`);
  });
  return out;
}

function netdev(nic: VmNic, taps: Readonly<Record<number, string>>): string {
  if (nic.attach.kind === "user") return `user,id=${nicNetdevId(nic.slot)}`;
  const tap = taps[nic.slot];
  if (tap === undefined) throw new ArgvError(`NIC ${nic.slot} is on network '${nic.attach.network}' but no tap was made for it`);
  // The host service made the tap and put it on the bridge; QEMU only opens it, and runs no scripts.
  return `tap,id=${nicNetdevId(nic.slot)},ifname=${tap},script=no,downscript=no`;
}
