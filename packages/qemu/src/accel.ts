import { accessSync, constants } from "node:fs";

export type Accel = "kvm" | "tcg";

/** KVM only when /dev/kvm exists and we may open it read-write; otherwise TCG. */
export function detectAccel(kvmDevice = "/dev/kvm"): Accel {
  try {
    accessSync(kvmDevice, constants.R_OK | constants.W_OK);
    return "kvm";
  } catch {
    return "tcg";
  }
}
