// Share links (docs/decisions/0028-console-share-links.md): what makes a link good or not, the
// in-memory passes an opened link hands out, and the PIN guess limits (the login limiter's class).
import { randomBytes } from "node:crypto";
import { AttemptLimiter, OncePerWindow, addressKey } from "../rate-limit.ts";
import { processWide } from "@guesthouse/shared/process-wide";

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

/**
 * A pass is handed to the browser that opened a link (with its PIN): it asks for display tickets
 * with it for as long as the link is good, so a reconnect (a guest reset) needs neither the PIN
 * again nor a second use of a single-use link. In memory, like tickets: a console restart ends them.
 */
class SharePasses {
  private passes = new Map<string, { linkId: string; until: number }>();
  /** A pass outlives its link a little, so a viewer retrying just after expiry is told the link's own reason. */
  static readonly GRACE_MS = 10 * 60 * 1000;
  issue(linkId: string, linkExpiresAt: number, now = Date.now()): string {
    for (const [k, p] of this.passes) if (p.until <= now) this.passes.delete(k);
    const pass = randomBytes(24).toString("base64url");
    this.passes.set(pass, { linkId, until: linkExpiresAt + SharePasses.GRACE_MS });
    return pass;
  }
  linkOf(pass: string, now = Date.now()): string | null {
    const p = this.passes.get(pass);
    if (!p || p.until <= now) return null;
    return p.linkId;
  }
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

export const sharePasses = processWide("share-passes", () => new SharePasses());
export const pinLimiters = processWide("pin-limiters", createPinLimiters);
