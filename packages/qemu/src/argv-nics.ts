/** `-netdev`/`-device` pairs for a VM's NICs: taps the host service made, or user-mode NAT. */
import { PROFILE_NIC_MODELS, type VmNic } from "@guesthouse/shared/network";
import type { VmSpec } from "@guesthouse/shared/vm";
import { ArgvError } from "./argv-error.ts";

/** QMP names of a NIC's backend and device: `set_link` takes the device id. */
export const nicDeviceId = (slot: number) => `nic${slot}`;
export const nicNetdevId = (slot: number) => `net${slot}`;

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
    out.push("-device", `${nic.model},netdev=${nicNetdevId(nic.slot)},id=${nicDeviceId(nic.slot)},mac=${nic.mac}${boot}`);
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
