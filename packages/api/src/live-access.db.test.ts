// Access re-checked on long-lived connections (live-access.ts): a stream or display a user holds
// open ends, with a reason the viewer is shown, within the re-check bound once the session ends
// (sign-out, a disabled user) or the grant it relies on is revoked; a VM's events stop reaching a
// user who lost sight of that VM. Through the API's own subscriptions and the holds displays use.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TRPCError } from "@trpc/server";
import { apiWorld, type ApiWorld } from "./api-world.test-support.ts";
import { liveAccess, SESSION_ENDED } from "./live-access.ts";
import { vmBus } from "./vm-bus.ts";

let w: ApiWorld;
before(async () => {
  w = await apiWorld();
});
after(() => w.t.drop());

/** The next thing an open subscription gives: a value, its end, or the error it ended with. */
async function next(it: AsyncIterator<unknown>): Promise<{ value?: unknown; done?: boolean; error?: TRPCError }> {
  try {
    return await it.next();
  } catch (error) {
    assert.ok(error instanceof TRPCError, String(error));
    return { error };
  }
}

// A stream that is never ended would hang its test: the bound makes that a failure.
const BOUND = { timeout: 15_000 };

test("a user's open task stream ends with 'your session ended' once the session is gone", BOUND, async () => {
  const user = await w.makeUser("leaver", [{ role: "Observer" }]);
  const stream = (await user.api.task.events()) as AsyncIterable<unknown>;
  const it = stream[Symbol.asyncIterator]();
  const pending = next(it);
  await w.t.db.session.deleteMany({ where: { userId: user.id } });
  await liveAccess.sweep();
  const ended = await pending;
  assert.equal(ended.error?.code, "UNAUTHORIZED");
  assert.equal(ended.error?.message, SESSION_ENDED);
});

test("a disabled user's vm.events stream ends; a revoked grant stops that VM's events reaching them", BOUND, async () => {
  const seen = await w.t.db.vm.create({ data: { name: `seen-${Date.now()}`, hostId: w.hostId } });
  const hidden = await w.t.db.vm.create({ data: { name: `revoked-${Date.now()}`, hostId: w.hostId } });
  const user = await w.makeUser("watcher", [
    { role: "Observer", vmId: seen.id },
    { role: "Observer", vmId: hidden.id },
  ]);
  // Each event comes as tRPC's tracked envelope: [id, event].
  const it = ((await user.api.vm.events()) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const vmIdOf = (got: { value?: unknown }) => (got.value as [string, { vmId: string }])[1].vmId;
  const event = (vmId: string) => vmBus.publish({ type: "state", vmId, state: "running", reason: "test", at: Date.now() });

  // The stream listens once its first access check is done: publish until it has heard one.
  const first = next(it);
  let heard = false;
  void first.then(() => (heard = true));
  while (!heard) {
    event(hidden.id);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(vmIdOf(await first), hidden.id, "granted: its events arrive");

  await w.t.db.accessGrant.deleteMany({ where: { userId: user.id, vmId: hidden.id } });
  await liveAccess.sweep();
  const second = next(it);
  event(hidden.id);
  event(seen.id);
  // Any of the VM's events still queued from above are dropped too, now that its grant is gone.
  assert.equal(vmIdOf(await second), seen.id, "revoked: only the VM still granted");

  const third = next(it);
  await w.t.db.user.update({ where: { id: user.id }, data: { disabled: true } });
  await liveAccess.sweep();
  assert.equal((await third).error?.code, "UNAUTHORIZED");
});

test("a display's hold ends when the grant it needs is revoked, with the permission named", async () => {
  const vm = await w.t.db.vm.create({ data: { name: `console-${Date.now()}`, hostId: w.hostId } });
  const user = await w.makeUser("console", [{ role: "Operator", vmId: vm.id }]);
  const session = await w.t.db.session.findFirstOrThrow({ where: { userId: user.id } });
  const reasons: string[] = [];
  const unregister = liveAccess.register(
    { sessionId: session.id, userId: user.id, permission: "vm.console", vmId: vm.id, end: (r) => reasons.push(r) },
    w.t.db,
  );
  await liveAccess.sweep();
  assert.deepEqual(reasons, [], "still allowed: nothing happens");
  await w.t.db.accessGrant.deleteMany({ where: { userId: user.id } });
  await liveAccess.sweep();
  assert.deepEqual(reasons, ["your access was changed: you no longer have the 'vm.console' permission here"]);
  await liveAccess.sweep();
  assert.equal(reasons.length, 1, "ended once");
  unregister();
});
