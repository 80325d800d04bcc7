/** Input schemas of the host API's live and cold moves (apps/host/src/migration), shared with the console. */
import { z } from "zod";
import { DiskIdSchema, VmIdSchema, VmSpecSchema } from "./vm.ts";

/** An IPv4 address, or a DNS name; it lands in a QEMU URI and a TLS name check, so nothing else. */
export const MigrationHostSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, "address: an IPv4 address or a host name (letters, digits, '.', '-')");
export const MigrationPortSchema = z.int().min(1024, "port: 1024–65535").max(65535, "port: 1024–65535");

const PEM = (what: string) =>
  z
    .string()
    .max(64 * 1024)
    .refine((s) => s.includes("-----BEGIN "), `${what}: a PEM text (-----BEGIN …)`);

/**
 * x509 material for one migration, issued by the console: the CA both ends trust, and this end's
 * certificate and key (the target's is a server certificate naming its address, the source's a
 * client certificate). QEMU checks the peer with verify-peer=on in both directions.
 */
export const MigrationTlsSchema = z.object({
  caCert: PEM("caCert"),
  cert: PEM("cert"),
  key: PEM("key"),
});
export type MigrationTls = z.infer<typeof MigrationTlsSchema>;

export const MigrationEndpointSchema = z.object({
  host: MigrationHostSchema,
  /** QEMU's RAM stream. */
  migrationPort: MigrationPortSchema,
  /** The NBD server the source's disk mirrors (live) or the disk copy (cold) write to or read from. */
  nbdPort: MigrationPortSchema,
});
export type MigrationEndpoint = z.infer<typeof MigrationEndpointSchema>;

export const MigrationDiskSchema = z.object({
  disk: DiskIdSchema,
  sizeBytes: z
    .int()
    .min(1)
    .max(16 * 1024 ** 4),
});

/** Target: make the VM's disks and a paused QEMU that waits for the stream (live) or the files (cold). */
export const MigrationPrepareInput = z.object({
  id: VmIdSchema,
  spec: VmSpecSchema,
  /** Each disk's virtual size, as `migration.describe` on the source answered it. */
  disks: z.array(MigrationDiskSchema).max(4),
  listen: MigrationEndpointSchema,
  tls: MigrationTlsSchema,
});

/** Source: mirror the disks to the target's NBD exports, then migrate RAM over TLS. */
export const MigrationStartInput = z.object({
  id: VmIdSchema,
  target: MigrationEndpointSchema,
  tls: MigrationTlsSchema,
  /** Bytes per second for RAM and each disk mirror; low values make a move observable (tests). */
  maxBandwidth: z
    .int()
    .min(64 * 1024, "maxBandwidth: at least 64 KiB/s")
    .max(10 * 1024 ** 3)
    .default(1024 ** 3),
  /** QEMU's downtime-limit: the pause it aims to stay under at the switch-over. */
  downtimeLimitMs: z.int().min(1).max(60_000).default(100),
});

/** Source, stopped VM: export its disk files (bytes as they are, snapshots and all) for the target to copy. */
export const MigrationColdExportInput = z.object({ id: VmIdSchema, listen: MigrationEndpointSchema, tls: MigrationTlsSchema });
/** Target, stopped VM: copy the disk files from the source's export and define the VM. */
export const MigrationColdImportInput = z.object({
  id: VmIdSchema,
  spec: VmSpecSchema,
  source: MigrationEndpointSchema,
  tls: MigrationTlsSchema,
});

export const MigrationRefInput = z.object({ id: VmIdSchema });
