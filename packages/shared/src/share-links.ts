// Inputs for console share links (docs/decisions/0028-console-share-links.md), shared by the
// share form, the share page and the console API, so both sides say the same thing.
import { z } from "zod";

/** Shortest and longest life of a link: long enough to open it, short enough to be a visit, not a grant. */
export const SHARE_MIN_SECONDS = 30;
export const SHARE_MAX_SECONDS = 7 * 24 * 60 * 60;

export const SharePinSchema = z
  .string()
  .regex(/^[0-9]{4,12}$/, "A PIN is 4 to 12 digits")
  .optional();

export const ShareCreateInput = z.object({
  mode: z.enum(["view", "control"], { error: "Choose view-only or control" }),
  expiresInSeconds: z.coerce
    .number()
    .int("Give the expiry in whole seconds")
    .min(SHARE_MIN_SECONDS, `A link lives at least ${SHARE_MIN_SECONDS} s`)
    .max(SHARE_MAX_SECONDS, "A link lives at most 7 days"),
  singleUse: z.boolean().default(false),
  pin: SharePinSchema,
  label: z.string().trim().max(80, "Use at most 80 characters for the label").default(""),
});

/** The token is the random part of the link (43 base64url characters). */
export const ShareTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, "That is not a share link");

export const ShareOpenInput = z.object({ token: ShareTokenSchema, pin: SharePinSchema });
export const ShareDescribeInput = z.object({ token: ShareTokenSchema });
/** What share.open handed out: lets the page fetch display tickets for as long as the link is good. */
export const ShareTicketInput = z.object({
  pass: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, "That share session is not valid"),
  /**
   * How the holder wants to see the screen: a control link's visitor watches while someone else
   * has control, and asks for it with takeOver, as a signed-in operator does (ADR 0050). Unset:
   * the link's own mode.
   */
  mode: z.enum(["view", "control"], { error: "Ask for view or control" }).optional(),
  takeOver: z.boolean().default(false),
});
