// Display tickets: short-lived, single-use, bound to (user, VM, mode). Issued by a permission-checked
// procedure, redeemed by the WebSocket upgrade before a single byte reaches the guest.
import { randomBytes } from "node:crypto";
import { processWide } from "@guesthouse/shared/process-wide";

export type DisplayMode = "control" | "view";
export const TICKET_TTL_MS = 30_000;

export interface Ticket {
  /** "" for a viewer who came through a share link: there is no account. */
  userId: string;
  userEmail: string;
  /** The session the ticket was issued to; absent for a share link's visitor. Checked on redeem and while connected. */
  sessionId?: string;
  vmId: string;
  vmName: string;
  hostId: string;
  mode: DisplayMode;
  expiresAt: number;
  /** Set when the ticket came from a share link: the viewer is closed when that link expires. */
  share?: { linkId: string; until: number };
}

export type Redeemed = { ok: true; ticket: Ticket } | { ok: false; reason: string };

class TicketStore {
  private tickets = new Map<string, Ticket>();

  issue(t: Omit<Ticket, "expiresAt">, now = Date.now()): { ticket: string; expiresAt: number } {
    this.sweep(now);
    const id = randomBytes(24).toString("base64url");
    const expiresAt = now + TICKET_TTL_MS;
    this.tickets.set(id, { ...t, expiresAt });
    return { ticket: id, expiresAt };
  }

  /** Consumes the ticket whatever the outcome: a ticket is never good twice. */
  redeem(id: string | null | undefined, vmId: string, now = Date.now()): Redeemed {
    if (!id) return { ok: false, reason: "a display ticket is required" };
    const ticket = this.tickets.get(id);
    this.tickets.delete(id);
    if (!ticket) return { ok: false, reason: "unknown or already used display ticket" };
    if (ticket.expiresAt < now) return { ok: false, reason: "the display ticket has expired" };
    if (ticket.vmId !== vmId) return { ok: false, reason: "the display ticket is for another VM" };
    return { ok: true, ticket };
  }

  private sweep(now: number) {
    for (const [id, t] of this.tickets) if (t.expiresAt < now) this.tickets.delete(id);
  }
}

export const displayTickets = processWide("display-tickets", () => new TicketStore());
