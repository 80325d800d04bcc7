import { test } from "node:test";
import assert from "node:assert/strict";
import { displayTickets, TICKET_TTL_MS } from "./tickets.ts";

const base = { userId: "u1", userEmail: "a@b.c", vmId: "vm1", vmName: "web1", hostId: "h1", mode: "view" as const };

test("a ticket admits one connection to its own VM, bound to the user and mode it was issued for", () => {
  const { ticket } = displayTickets.issue(base);
  const first = displayTickets.redeem(ticket, "vm1");
  assert.equal(first.ok, true);
  assert.deepEqual(first.ok && { user: first.ticket.userId, mode: first.ticket.mode }, { user: "u1", mode: "view" });
  assert.deepEqual(displayTickets.redeem(ticket, "vm1"), { ok: false, reason: "unknown or already used display ticket" });
});

test("an expired ticket, a ticket for another VM and a missing ticket are refused", () => {
  const now = Date.now();
  const old = displayTickets.issue(base, now).ticket;
  assert.deepEqual(displayTickets.redeem(old, "vm1", now + TICKET_TTL_MS + 1), { ok: false, reason: "the display ticket has expired" });
  const other = displayTickets.issue(base).ticket;
  assert.deepEqual(displayTickets.redeem(other, "vm2"), { ok: false, reason: "the display ticket is for another VM" });
  // Refused once is gone: the right VM cannot use it afterwards either.
  assert.equal(displayTickets.redeem(other, "vm1").ok, false);
  assert.deepEqual(displayTickets.redeem(undefined, "vm1"), { ok: false, reason: "a display ticket is required" });
});

test("tickets live at most 30 seconds", () => {
  assert.ok(TICKET_TTL_MS <= 30_000);
  const now = Date.now();
  const { expiresAt } = displayTickets.issue(base, now);
  assert.equal(expiresAt - now, TICKET_TTL_MS);
});
