/** Per-profile device choices: what a "modern" or "legacy" PC is made of. */
import type { HardwareProfile } from "@guesthouse/shared/vm";

export interface ProfileDevices {
  machine: string;
  vga: string;
  nic: string;
  /** `-device` value for disk `index` (0-based) attached to block node `node`. */
  disk(index: number, node: string, withCdrom: boolean): string;
  /** Bus placement of the CD-ROM drive. */
  cdromBus: string;
  maxDisks(withCdrom: boolean): number;
}

/** pc/i440fx has two IDE channels with two units each; a CD-ROM takes the secondary master. */
const LEGACY_SLOTS_WITH_CDROM = ["bus=ide.0,unit=0", "bus=ide.0,unit=1", "bus=ide.1,unit=1"];
const LEGACY_SLOTS = ["bus=ide.0,unit=0", "bus=ide.0,unit=1", "bus=ide.1,unit=0", "bus=ide.1,unit=1"];

export const PROFILES: Record<HardwareProfile, ProfileDevices> = {
  modern: {
    machine: "q35",
    vga: "VGA",
    nic: "virtio-net-pci",
    disk: (i, node) => `virtio-blk-pci,drive=${node},id=disk${i}`,
    cdromBus: "bus=ide.0",
    maxDisks: () => 4,
  },
  legacy: {
    machine: "pc",
    vga: "cirrus-vga",
    nic: "rtl8139",
    disk: (i, node, withCdrom) => `ide-hd,drive=${node},id=disk${i},${(withCdrom ? LEGACY_SLOTS_WITH_CDROM : LEGACY_SLOTS)[i]}`,
    cdromBus: "bus=ide.1,unit=0",
    maxDisks: (withCdrom) => (withCdrom ? 3 : 4),
  },
};
