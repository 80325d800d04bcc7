// Share links (docs/decisions/0028-console-share-links.md): what makes a link good or not, the
// passes an opened link hands out, and the PIN guess limits (the login limiter's class).
import { randomBytes } from "node:crypto";
import { AttemptLimiter, OncePerWindow, addressKey } from "../rate-limit.ts";
import { processWide } from "@guesthouse/shared/process-wide";
import { sha256, type Db } from "@guesthouse/db";

export interface ShareLinkState {
  id: string;
  vmId: string;
  mode: "view" | "control";
  label: string;
  expiresAt: Date;
  singleUse: boolean;
  usedAt: Date | null;
  revokedAt: Date | null;
  revokedByName: string;
}

export const SHARE_LINK_SELECT = {
  id: true,
  vmId: true,
  mode: true,
  label: true,
  expiresAt: true,
  singleUse: true,
  usedAt: true,
  revokedAt: true,
  revokedByName: true,
} as const;

export type ShareStatus = "active" | "expired" | "revoked" | "used";

export function shareStatus(link: ShareLinkState, now = Date.now()): ShareStatus {
  if (link.revokedAt) return "revoked";
  if (link.expiresAt.getTime() <= now) return "expired";
  if (link.singleUse && link.usedAt) return "used";
  return "active";
}

/** What a holder of the link is told when it no longer opens; null while it is good. */
export function shareRefusal(link: ShareLinkState, now = Date.now(), { opening }: { opening: boolean }): string | null {
  const status = shareStatus(link, now);
  if (status === "revoked") return `This share link was revoked${link.revokedByName ? ` by ${link.revokedByName}` : ""}`;
  if (status === "expired") return "This share link has expired";
  // A single-use link is spent by opening it; the viewer who opened it keeps reconnecting on its pass.
  if (status === "used" && opening) return "This share link has already been used";
  return null;
}

/** How a share viewer is named in the viewer list and the audit log. */
export function shareViewerName(link: { label: string }): string {
  return `guest via share link${link.label ? ` "${link.label}"` : ""}`;
}

export function newShareToken(): string {
  return randomBytes(32).toString("base64url");
}

/** A pass outlives its link a little, so a viewer retrying just after expiry is told the link's own reason. */
export const SHARE_PASS_GRACE_MS = 10 * 60 * 1000;

/**
 * A pass is handed to the browser that opened a link (with its PIN): it asks for display tickets
 * with it for as long as the link is good, so a reconnect (a guest reset) needs neither the PIN
 * again nor a second use of a single-use link. Kept in PostgreSQL as a sha256 (ADR 0049), so a
 * console restart keeps it; whether it still admits anyone is always the link's own state.
 */
export async function issueSharePass(db: Db, linkId: string, linkExpiresAt: Date, now = Date.now()): Promise<string> {
  // Passes whose links are long gone are of no use to anyone: swept as new ones are made.
  await db.sharePass.deleteMany({ where: { until: { lte: new Date(now) } } });
  const pass = randomBytes(24).toString("base64url");
  await db.sharePass.create({
    data: { passHash: sha256(pass), linkId, until: new Date(linkExpiresAt.getTime() + SHARE_PASS_GRACE_MS) },
  });
  return pass;
}

/** The link a pass was handed out for, while the pass lasts; null for an unknown or outlived pass. */
export async function linkOfSharePass(db: Db, pass: string, now = Date.now()): Promise<string | null> {
  const found = await db.sharePass.findUnique({ where: { passHash: sha256(pass) }, select: { linkId: true, until: true } });
  if (!found || found.until.getTime() <= now) return null;
  return found.linkId;
}

const WINDOW_MS = 15 * 60 * 1000;

export interface PinLimiters {
  /** Wrong PINs for one link from one address. */
  linkAddress: AttemptLimiter;
  /** Wrong PINs for one link from everywhere: past it the link opens for nobody until the window clears. */
  link: AttemptLimiter;
  audited: OncePerWindow;
}

export function createPinLimiters(): PinLimiters {
  return { linkAddress: new AttemptLimiter(5, WINDOW_MS), link: new AttemptLimiter(20, WINDOW_MS), audited: new OncePerWindow(WINDOW_MS) };
}

/** Reserves one PIN guess at a link from an address, before the PIN is checked (as sign-in does). */
export function reservePinGuess(limiters: PinLimiters, linkId: string, ip: string, now = Date.now()) {
  const pair = `share:${linkId}|${addressKey(ip)}`;
  const byPair = limiters.linkAddress.reserve(pair, now);
  if (!byPair.allowed) return { allowed: false as const, retryAfterS: byPair.retryAfterS, refusedBy: pair };
  const byLink = limiters.link.reserve(`share:${linkId}`, now);
  if (!byLink.allowed) {
    byPair.release();
    return { allowed: false as const, retryAfterS: byLink.retryAfterS, refusedBy: `share:${linkId}` };
  }
  return {
    allowed: true as const,
    succeeded: () => {
      byPair.release();
      byLink.release();
    },
  };
}

export const pinLimiters = processWide("pin-limiters", createPinLimiters);
