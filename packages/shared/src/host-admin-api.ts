// Inputs of the console's host procedures (registration, maintenance, removal, placement preview).
import { z } from "zod";
import { CPU_MODEL_IDS } from "./cpu-models.ts";

/** A join token as the console hands it out: `ghj_` and 43 base64url characters (32 random bytes). */
export const JOIN_TOKEN_PATTERN = /^ghj_[A-Za-z0-9_-]{43}$/;

export const HostNameSchema = z
  .string()
  .trim()
  .min(1, "Give the host a name")
  .max(63, "Use at most 63 characters")
  .regex(/^[a-z0-9][a-z0-9-]*$/, "Use lower-case letters, digits and '-', starting with a letter or digit");

export const HostUrlSchema = z
  .url("Give the host API's address, such as http://10.0.0.5:3001")
  .max(300)
  .refine((u) => /^https?:\/\//.test(u), "The host API's address starts with http:// or https://")
  .transform((u) => u.replace(/\/+$/, ""));

export const HostJoinInput = z
  .object({
    token: z.string().max(200).regex(JOIN_TOKEN_PATTERN, "token: not a join token (ghj_ and 43 characters)"),
    name: HostNameSchema,
    url: HostUrlSchema,
  })
  .strict();

export const HostJoinTokenInput = z
  .object({ ttlMinutes: z.coerce.number().int().min(1, "At least 1 minute").max(1440, "At most 24 hours").default(60) })
  .strict();

export const HostRefInput = z.object({ hostId: z.string().min(1).max(64) }).strict();
export const JoinTokenRefInput = z.object({ tokenId: z.string().min(1).max(64) }).strict();
/**
 * Maintenance on empties the host (its guests move to the others, `concurrency` at a time); off,
 * with `moveBack`, brings back the guests it had (ADR 0052).
 */
export const HostMaintenanceInput = z
  .object({
    hostId: z.string().min(1).max(64),
    on: z.boolean(),
    moveBack: z.boolean().default(false),
    concurrency: z
      .int("concurrency: a whole number of moves at once")
      .min(1, "concurrency: at least 1")
      .max(8, "concurrency: at most 8")
      .optional(),
    /** Bytes per second for each move (tests slow moves down to watch or cancel them). */
    maxBandwidth: z
      .int()
      .min(64 * 1024, "maxBandwidth: at least 64 KiB/s")
      .max(10 * 1024 ** 3)
      .optional(),
  })
  .strict();

/** Which evacuation preview: emptying the host, or moving its guests back. */
export const EvacuationPreviewInput = z
  .object({ hostId: z.string().min(1).max(64), direction: z.enum(["evacuate", "return"]).default("evacuate") })
  .strict();

/** What a new VM needs of its host: the wizard's preview and vm.create ask the same question. */
export const PlacementInput = z
  .object({
    memoryMiB: z.coerce
      .number()
      .int()
      .min(16)
      .max(1024 * 1024)
      .default(256),
    cpus: z.coerce.number().int().min(1).max(64).default(1),
    cpuModel: z.enum(["auto", ...CPU_MODEL_IDS], { error: `Choose auto or one of ${CPU_MODEL_IDS.join(", ")}` }).default("auto"),
    networkIds: z.array(z.string().min(1).max(64)).max(8).default([]),
    /** Absent: the host with the most free capacity that fits. */
    hostId: z.string().min(1).max(64).optional(),
  })
  .strict();
export type Placement = z.infer<typeof PlacementInput>;
