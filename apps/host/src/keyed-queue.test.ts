import assert from "node:assert/strict";
import { test } from "node:test";
import { KeyedQueue } from "./keyed-queue.ts";

const tick = () => new Promise((r) => setImmediate(r));

test("tasks for one key run one after another; other keys run alongside", async () => {
  const q = new KeyedQueue();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const a1 = q.run("a", "first", async () => {
    log.push("a1 start");
    await gate;
    log.push("a1 end");
  });
  const a2 = q.run("a", "second", async () => log.push("a2"));
  const b1 = q.run("b", "other", async () => log.push("b1"));
  await b1;
  await tick();
  assert.deepEqual(log, ["a1 start", "b1"]);
  assert.equal(q.busy("a"), "first");
  release();
  await Promise.all([a1, a2]);
  assert.deepEqual(log, ["a1 start", "b1", "a1 end", "a2"]);
  assert.equal(q.busy("a"), undefined);
});

test("a failing task does not block the next one", async () => {
  const q = new KeyedQueue();
  await assert.rejects(
    q.run("k", "bad", async () => Promise.reject(new Error("boom"))),
    /boom/,
  );
  assert.equal(await q.run("k", "good", async () => 42), 42);
});
