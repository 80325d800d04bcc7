/** Console API inputs for networks, NICs and port forwards, with messages written for people. */
import { z } from "zod";
import { CidrSchema, IfnameSchema, MAX_NICS, NicModelSchema, VlanIdSchema } from "./network.ts";

export const NetworkNameSchema = z
  .string()
  .trim()
  .min(1, "Give the network a name")
  .max(64, "At most 64 characters")
  .regex(/^[\p{L}\p{N} ._-]+$/u, "Letters, digits, spaces, '.', '_' and '-' only");

export const NetworkCreateInput = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("nat"), name: NetworkNameSchema, subnet: CidrSchema, isDefault: z.boolean().default(false) }),
    z.object({ kind: z.literal("isolated"), name: NetworkNameSchema, subnet: CidrSchema.optional() }),
    z.object({ kind: z.literal("bridged"), name: NetworkNameSchema, bridge: IfnameSchema }),
    z.object({ kind: z.literal("user"), name: NetworkNameSchema }),
  ])
  .describe("network");
export type NetworkCreate = z.infer<typeof NetworkCreateInput>;

export const NetworkRefInput = z.object({ networkId: z.string().min(1).max(64) });

/** One NIC asked for when a VM is made or changed. */
export const NicRequestSchema = z.object({
  networkId: z.string().min(1, "Choose a network").max(64),
  /** Absent: the profile's default model. */
  model: NicModelSchema.optional(),
  vlan: VlanIdSchema.optional(),
});
export const NicRequestListSchema = z.array(NicRequestSchema).max(MAX_NICS, `At most ${MAX_NICS} NICs`);

export const NicAddInput = NicRequestSchema;
export const NicRefInput = z.object({ nicId: z.string().min(1).max(64) });
export const NicLinkInput = z.object({ nicId: z.string().min(1).max(64), up: z.boolean() });

export const ForwardAddInput = z.object({
  nicId: z.string().min(1).max(64),
  protocol: z.enum(["tcp", "udp"], { error: "protocol: tcp or udp" }),
  hostPort: z.coerce.number().int().min(1, "Host port must be 1–65535").max(65535, "Host port must be 1–65535"),
  guestPort: z.coerce.number().int().min(1, "Guest port must be 1–65535").max(65535, "Guest port must be 1–65535"),
});
export const ForwardRefInput = z.object({ forwardId: z.string().min(1).max(64) });
