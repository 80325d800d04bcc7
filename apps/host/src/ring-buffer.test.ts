import assert from "node:assert/strict";
import { test } from "node:test";
import { ByteRing } from "./ring-buffer.ts";

test("keeps the newest bytes up to capacity and counts all of them", () => {
  const r = new ByteRing(10);
  r.push(Buffer.from("hello "));
  r.push(Buffer.from("world!"));
  assert.equal(r.tail().toString(), "llo world!");
  assert.equal(r.size, 10);
  assert.equal(r.total, 12);
  assert.equal(r.tail(3).toString(), "ld!");
});

test("a chunk larger than the ring keeps only its end", () => {
  const r = new ByteRing(4);
  r.push(Buffer.from("abcdefgh"));
  assert.equal(r.tail().toString(), "efgh");
  assert.equal(r.total, 8);
});

test("many tiny chunks stay bounded", () => {
  const r = new ByteRing(1000);
  for (let i = 0; i < 10_000; i++) r.push(Buffer.from([i & 0xff]));
  assert.equal(r.size, 1000);
  assert.equal(r.total, 10_000);
  assert.equal(r.tail(1)[0], 9999 & 0xff);
});
