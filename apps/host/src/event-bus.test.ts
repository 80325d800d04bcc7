import assert from "node:assert/strict";
import { test } from "node:test";
import { EventBus } from "./event-bus.ts";

test("subscribers get live events; lastEventId replays what they missed", async () => {
  const bus = new EventBus<string>(10);
  const first = bus.publish("a");
  bus.publish("b");
  const ac = new AbortController();
  const got: string[] = [];
  const done = (async () => {
    for await (const { event } of bus.subscribe({ signal: ac.signal, lastEventId: first })) {
      got.push(event);
      if (got.length === 2) ac.abort();
    }
  })();
  await new Promise((r) => setImmediate(r));
  bus.publish("c");
  await done;
  assert.deepEqual(got, ["b", "c"]);
});

test("filters and abort end the subscription cleanly", async () => {
  const bus = new EventBus<{ vm: string }>();
  const ac = new AbortController();
  const got: string[] = [];
  const done = (async () => {
    for await (const { id, event } of bus.subscribe({ signal: ac.signal, filter: (e) => e.vm === "x" })) {
      assert.match(id, /^\d+$/);
      got.push(event.vm);
      ac.abort();
    }
  })();
  await new Promise((r) => setImmediate(r));
  bus.publish({ vm: "y" });
  bus.publish({ vm: "x" });
  await done;
  assert.deepEqual(got, ["x"]);
});

test("ids keep increasing across bus instances (service restarts)", () => {
  const a = Number(new EventBus<number>().publish(1));
  const b = Number(new EventBus<number>().publish(1));
  assert.ok(b >= a);
});

test("a subscriber that starts from lastId gets what was published after it was read", async () => {
  const bus = new EventBus<string>(10);
  bus.publish("before");
  const cursor = bus.lastId;
  bus.publish("between");
  const ac = new AbortController();
  const got: string[] = [];
  for await (const { event } of bus.subscribe({ signal: ac.signal, lastEventId: cursor })) {
    got.push(event);
    ac.abort();
  }
  assert.deepEqual(got, ["between"]);
});

test("resuming after events the bus no longer holds is an error, never a stream with a hole", async () => {
  const bus = new EventBus<number>(2);
  const cursor = bus.lastId;
  for (const n of [1, 2, 3]) bus.publish(n);
  await assert.rejects(bus.subscribe({ lastEventId: cursor }).next(), /no longer held; read the current state again/);
  // Another run of the service (its ids start elsewhere) is the same case.
  await assert.rejects(new EventBus<number>().subscribe({ lastEventId: "5" }).next(), /no longer held/);
});
