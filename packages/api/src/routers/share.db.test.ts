// Share links end to end through the console API: made by a holder of vm.console, opened with no
// account, good until they expire, are spent or revoked, PINs limited like passwords; a refused
// link changes nothing. (The browser side is e2e/share-links.spec.ts.)
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { apiWorld, fakeHosts, type ApiWorld } from "../api-world.test-support.ts";
import { createCaller } from "../root.ts";
import { createContextInner } from "../context.ts";
import { displayTickets } from "../display/tickets.ts";
import { displayViewers } from "../display/viewers.ts";

/** A caller with no account, from one address. */
function anonymous(w: ApiWorld, ip = "198.51.100.7") {
  return createCaller(createContextInner({ db: w.t.db, hosts: fakeHosts, ip, secureCookies: false, user: null }));
}

async function failure(p: Promise<unknown>): Promise<TRPCError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TRPCError, "the call was expected to fail");
  return error;
}

describe("console share links", () => {
  let w: ApiWorld;
  let vmId: string;
  let owner: Awaited<ReturnType<ApiWorld["makeUser"]>>;
  before(async () => {
    w = await apiWorld();
    vmId = (await w.t.db.vm.create({ data: { name: `shared-${Date.now()}`, hostId: w.hostId, state: "running" } })).id;
    owner = await w.makeUser("sharer", [{ role: "Console user", vmId }]);
  });
  after(async () => w.t.drop());

  test("a link is made by a console user, stored only as a hash, audited, and opens a view-only console for someone with no account", async () => {
    const { id, token } = await owner.api.share.create({ vmId, mode: "view", expiresInSeconds: 600, label: "for support" });
    const row = await w.t.db.shareLink.findUniqueOrThrow({ where: { id } });
    assert.ok(!JSON.stringify(row).includes(token), "the token itself is not stored");
    assert.equal(row.createdByName, owner.email);
    const made = await w.t.db.auditEvent.findFirst({ where: { action: "share.create", vmId } });
    assert.equal(made?.actorId, owner.id);

    const guest = anonymous(w);
    assert.deepEqual(await guest.share.describe({ token }).then((d) => ({ mode: d.mode, needsPin: d.needsPin })), {
      mode: "view",
      needsPin: false,
    });
    const opened = await guest.share.open({ token });
    assert.equal(opened.vmId, vmId);
    assert.equal(opened.mode, "view");
    const { ticket } = await guest.share.ticket({ pass: opened.pass });
    const redeemed = displayTickets.redeem(ticket, vmId);
    assert.ok(redeemed.ok);
    assert.equal(redeemed.ticket.mode, "view");
    assert.equal(redeemed.ticket.userId, "", "no account stands behind it");
    assert.equal(redeemed.ticket.userEmail, 'guest via share link "for support"');
    assert.equal(redeemed.ticket.share?.linkId, id);
    assert.equal((await w.t.db.auditEvent.count({ where: { action: "share.open", vmId, outcome: "success" } })) >= 1, true);

    const listed = await owner.api.share.list({ vmId });
    assert.equal(listed[0]?.id, id);
    assert.equal(listed[0]?.status, "active");
    assert.ok(!JSON.stringify(listed).includes(row.tokenHash), "the list carries no hash");
  });

  test("an expired link is refused with that reason, hands out no pass, and stops giving tickets to those who opened it", async () => {
    const { id, token } = await owner.api.share.create({ vmId, mode: "view", expiresInSeconds: 600 });
    const guest = anonymous(w);
    const { pass } = await guest.share.open({ token });
    await w.t.db.shareLink.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    // One call at a time: a promise made early would reject before it is awaited.
    for (const call of [() => guest.share.describe({ token }), () => guest.share.open({ token }), () => guest.share.ticket({ pass })]) {
      const error = await failure(call());
      assert.equal(error.code, "BAD_REQUEST");
      assert.equal(error.message, "This share link has expired");
    }
    assert.equal((await owner.api.share.list({ vmId })).find((l) => l.id === id)?.status, "expired");
  });

  test("a single-use link opens once; its viewer keeps reconnecting on the pass, a second opener is refused", async () => {
    const { id, token } = await owner.api.share.create({ vmId, mode: "view", expiresInSeconds: 600, singleUse: true });
    const first = await anonymous(w).share.open({ token });
    const second = await failure(anonymous(w, "203.0.113.9").share.open({ token }));
    assert.equal(second.code, "BAD_REQUEST");
    assert.equal(second.message, "This share link has already been used");
    // A guest reset drops the display; the viewer who opened the link gets a fresh ticket.
    assert.ok((await anonymous(w).share.ticket({ pass: first.pass })).ticket);
    assert.equal((await owner.api.share.list({ vmId })).find((l) => l.id === id)?.status, "used");
  });

  test("a PIN is required and checked; wrong PINs are limited per address like sign-ins, and spend nothing", async () => {
    const { token } = await owner.api.share.create({ vmId, mode: "view", expiresInSeconds: 600, singleUse: true, pin: "4711" });
    const guesser = anonymous(w, "192.0.2.50");
    assert.equal((await guesser.share.describe({ token })).needsPin, true);
    const none = await failure(guesser.share.open({ token }));
    assert.equal(none.message, "This share link needs its PIN");
    // Five wrong guesses sent together: all five are checked and refused, the next is refused unchecked.
    const wrong = await Promise.all(["0000", "1111", "2222", "3333", "4444"].map((pin) => failure(guesser.share.open({ token, pin }))));
    assert.deepEqual(
      wrong.map((e) => [e.code, e.message]),
      Array(5).fill(["UNAUTHORIZED", "Wrong PIN"]),
    );
    const limited = await failure(guesser.share.open({ token, pin: "4711" }));
    assert.equal(limited.code, "TOO_MANY_REQUESTS");
    assert.match(limited.message, /^Too many wrong PINs, try again in \d+ s$/);
    assert.equal(await w.t.db.auditEvent.count({ where: { action: "share.open", vmId, outcome: "failure" } }), 5);
    // The holder of the PIN elsewhere still gets in, and the single use was not spent by the guesses.
    const opened = await anonymous(w, "192.0.2.99").share.open({ token, pin: "4711" });
    assert.ok(opened.pass);
  });

  test("revoking a link disconnects its viewers at once with the reason, refuses it from then on, and is audited", async () => {
    const { id, token } = await owner.api.share.create({ vmId, mode: "view", expiresInSeconds: 600 });
    const guest = anonymous(w);
    const { pass } = await guest.share.open({ token });
    const reasons: string[] = [];
    const through = displayViewers.add({
      vmId,
      userId: "",
      userEmail: "guest",
      mode: "view",
      shareLinkId: id,
      disconnect: (r) => reasons.push(r),
    });
    const other = displayViewers.add({
      vmId,
      userId: owner.id,
      userEmail: owner.email,
      mode: "view",
      disconnect: (r) => reasons.push(`other: ${r}`),
    });
    try {
      assert.equal((await owner.api.share.list({ vmId })).find((l) => l.id === id)?.viewers, 1);
      assert.deepEqual(await owner.api.share.revoke({ vmId, linkId: id }), { ok: true, disconnected: 1 });
      assert.deepEqual(reasons, [`the share link was revoked by ${owner.email}`], "only the link's viewer goes");
    } finally {
      displayViewers.remove(through.id);
      displayViewers.remove(other.id);
    }
    for (const call of [() => guest.share.open({ token }), () => guest.share.ticket({ pass })]) {
      const error = await failure(call());
      assert.equal(error.message, `This share link was revoked by ${owner.email}`);
    }
    const again = await failure(owner.api.share.revoke({ vmId, linkId: id }));
    assert.equal(again.code, "CONFLICT");
    const audited = await w.t.db.auditEvent.findFirst({ where: { action: "share.revoke", vmId } });
    assert.deepEqual(audited?.detail, { linkId: id, disconnected: 1 });
  });

  test("an opened link's pass is kept in PostgreSQL only as its hash, good while its link is, gone with the link", async () => {
    const { id, token } = await owner.api.share.create({ vmId, mode: "view", expiresInSeconds: 600, singleUse: true });
    const { pass } = await anonymous(w).share.open({ token });
    const rows = await w.t.db.sharePass.findMany({ where: { linkId: id } });
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(pass), "the pass itself is not stored");
    const link = await w.t.db.shareLink.findUniqueOrThrow({ where: { id } });
    assert.ok(rows[0]!.until.getTime() > link.expiresAt.getTime(), "it lasts as long as its link (and a grace)");
    // Nothing about the pass is in this process's memory: a caller built from nothing but the database gets a ticket.
    assert.ok((await anonymous(w, "203.0.113.77").share.ticket({ pass })).ticket);
    const unknown = await failure(anonymous(w).share.ticket({ pass: pass.slice(1) + "A" }));
    assert.equal(unknown.code, "UNAUTHORIZED");
    await w.t.db.shareLink.delete({ where: { id } });
    assert.equal(await w.t.db.sharePass.count({ where: { linkId: id } }), 0, "deleting the link deletes its passes");
  });

  test("a view-only link never controls; a control link's visitor watches while someone has control and takes it over on request", async () => {
    const viewLink = await owner.api.share.create({ vmId, mode: "view", expiresInSeconds: 600 });
    const watcher = await anonymous(w).share.open({ token: viewLink.token });
    const forbidden = await failure(anonymous(w).share.ticket({ pass: watcher.pass, mode: "control", takeOver: true }));
    assert.deepEqual([forbidden.code, forbidden.message], ["FORBIDDEN", "This share link is view-only: it cannot take control"]);

    const controlLink = await owner.api.share.create({ vmId, mode: "control", expiresInSeconds: 600, label: "vendor" });
    const visitor = await anonymous(w).share.open({ token: controlLink.token });
    const holder = displayViewers.add({ vmId, userId: owner.id, userEmail: owner.email, mode: "control", disconnect: () => {} });
    try {
      const held = await failure(anonymous(w).share.ticket({ pass: visitor.pass }));
      assert.equal(held.code, "CONFLICT");
      assert.equal(held.message, `${owner.email} has control of this console; you are watching. Request control to take it over.`);
      const watching = displayTickets.redeem((await anonymous(w).share.ticket({ pass: visitor.pass, mode: "view" })).ticket, vmId);
      assert.ok(watching.ok);
      assert.equal(watching.ticket.mode, "view");
      const taking = displayTickets.redeem(
        (await anonymous(w).share.ticket({ pass: visitor.pass, mode: "control", takeOver: true })).ticket,
        vmId,
      );
      assert.ok(taking.ok);
      assert.deepEqual(
        [taking.ticket.mode, taking.ticket.userEmail, taking.ticket.share?.linkId],
        ["control", 'guest via share link "vendor"', controlLink.id],
      );
    } finally {
      displayViewers.remove(holder.id);
    }
  });

  test("a share viewer is closed when its link expires, with that reason", async () => {
    const reasons: string[] = [];
    const viewer = displayViewers.add(
      { vmId, userId: "", userEmail: "guest", mode: "view", shareLinkId: "l", disconnect: (r) => reasons.push(r) },
      { at: Date.now() + 50, reason: "the share link expired" },
    );
    try {
      const deadline = Date.now() + 2000;
      while (reasons.length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      assert.deepEqual(reasons, ["the share link expired"]);
    } finally {
      displayViewers.remove(viewer.id);
    }
  });

  test("a link of another VM cannot be revoked through this one, an unknown link is not found, a stopped VM gives no ticket", async () => {
    const otherVm = await w.t.db.vm.create({ data: { name: `other-${Date.now()}`, hostId: w.hostId, state: "running" } });
    const admin = await w.makeUser("admin", [{ role: "Administrator" }]);
    const { id, token } = await admin.api.share.create({ vmId: otherVm.id, mode: "control", expiresInSeconds: 600 });
    assert.equal((await failure(owner.api.share.revoke({ vmId, linkId: id }))).code, "NOT_FOUND");
    assert.equal((await w.t.db.shareLink.findUniqueOrThrow({ where: { id } })).revokedAt, null);
    const unknown = await failure(anonymous(w).share.open({ token: "x".repeat(43) }));
    assert.equal(unknown.code, "NOT_FOUND");
    const { pass } = await anonymous(w).share.open({ token });
    await w.t.db.vm.update({ where: { id: otherVm.id }, data: { state: "stopped" } });
    const stopped = await failure(anonymous(w).share.ticket({ pass }));
    assert.equal(stopped.code, "CONFLICT");
  });
});
