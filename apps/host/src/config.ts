import type { AccelInfo } from "@guesthouse/shared/cpu-models";

/** Everything the host service needs to know; built from env in env.ts, or directly by tests. */
export interface HostConfig {
  /** Root data folder; the service keeps its own files under `<dataDir>/host`. */
  dataDir: string;
  /** Extra folders whose ISOs, kernels and images may be used (besides `<dataDir>` outside `host/`). */
  mediaDirs: string[];
  qemuBinary: string;
  qemuImgBinary: string;
  /** What the accelerator probe found at start: KVM or TCG, and the CPU models that run. */
  accel: AccelInfo;
  /** TCG translation cache per guest; small values keep small guests' RSS down. */
  tcgTbSizeMiB: number;
  /** Bounded serial log kept per VM. */
  serialBufferBytes: number;
  /** Largest ISO or disk image the library accepts in one upload. */
  mediaMaxBytes: number;
  /**
   * Network namespace that holds the service's bridges, taps, dnsmasq, nftables table and QEMUs;
   * absent: the machine's own (docs/decisions/0021). Tests always set one.
   */
  netns?: string;
  /**
   * Where the machine's kernel boot id is read (a new one tells the console the machine booted
   * again, for start at boot); default /proc/sys/kernel/random/boot_id. Tests point it at a file of
   * their own to stand in for a reboot (the kernel is a boundary we do not own).
   */
  bootIdFile?: string;
  /**
   * The address other hosts reach this one on for a move's RAM stream and disk copies (QEMU and
   * NBD listen there); absent: the console uses the host name of the host's API URL.
   */
  migrationAddress?: string;
  /**
   * Whether the console may make a default NAT network here (GUESTHOUSE_DEFAULT_NETWORK): `auto`
   * (absent) only inside `netns`, `on` in the machine's own namespace too, `off` never (ADR 0037).
   */
  defaultNetwork?: "auto" | "on" | "off";
  /**
   * Tests only (GUESTHOUSE_TEST_MEMORY_MIB): report this much RAM in all, and as free that less the
   * memory of the guests running here, instead of the machine's own figures. Several host services
   * on one test machine then have the small, different capacities a maintenance test needs.
   */
  testMemoryMiB?: number;
}
