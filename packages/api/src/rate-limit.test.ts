import { test } from "node:test";
import assert from "node:assert/strict";
import { addressKey, AttemptLimiter, createPasswordLimiters, OncePerWindow, reserveSignIn } from "./rate-limit.ts";

test("after the allowed attempts the key is refused, with the seconds until the oldest expires", () => {
  const limiter = new AttemptLimiter(3, 60_000);
  const t0 = 1_000_000;
  for (let i = 0; i < 3; i++) assert.equal(limiter.reserve("acct:a", t0 + i).allowed, true);
  const refused = limiter.reserve("acct:a", t0 + 10_000);
  assert.deepEqual([refused.allowed, refused.retryAfterS], [false, 50]);
  assert.equal(limiter.reserve("acct:b", t0 + 10_000).allowed, true, "other keys are unaffected");
  assert.equal(limiter.reserve("acct:a", t0 + 60_001).allowed, true, "the window slides");
});

test("attempts that arrive together are counted before any is checked (the batching bypass)", () => {
  const limiter = new AttemptLimiter(5, 60_000);
  // Thirty reservations with no await in between: as a tRPC batch of thirty logins makes them.
  const verdicts = Array.from({ length: 30 }, () => limiter.reserve("k", 1000));
  assert.equal(verdicts.filter((v) => v.allowed).length, 5);
});

test("a released reservation does not count; a refused one is never counted", () => {
  const limiter = new AttemptLimiter(2, 60_000);
  limiter.reserve("k", 1).release();
  limiter.reserve("k", 2);
  limiter.reserve("k", 3);
  limiter.reserve("k", 4); // refused
  assert.equal(limiter.reserve("k", 60_002).allowed, true, "only the two counted ones expired");
});

test("a guesser at one account is stopped from their address only; the owner still gets in from another", () => {
  const limiters = createPasswordLimiters();
  for (let i = 0; i < 5; i++) assert.equal(reserveSignIn(limiters, "admin@x", "10.0.0.9", 1000 + i).allowed, true);
  assert.equal(reserveSignIn(limiters, "admin@x", "10.0.0.9", 2000).allowed, false);
  assert.equal(reserveSignIn(limiters, "admin@x", "10.0.0.1", 2000).allowed, true);
});

test("past the account-wide limit only addresses that signed in before get through", () => {
  const limiters = createPasswordLimiters();
  const owner = reserveSignIn(limiters, "admin@x", "192.168.1.5", 0);
  owner.succeeded();
  for (let i = 0; i < 60; i++) reserveSignIn(limiters, "admin@x", `10.0.${i}.1`, 100 + i);
  assert.equal(reserveSignIn(limiters, "admin@x", "10.9.9.9", 500).allowed, false, "a new address is refused");
  assert.equal(reserveSignIn(limiters, "admin@x", "192.168.1.5", 500).allowed, true, "the owner's known address is not");
});

test("one address is limited across accounts", () => {
  const limiters = createPasswordLimiters();
  const allowed = Array.from({ length: 30 }, (_, i) => reserveSignIn(limiters, `u${i}@x`, "10.0.0.7", 1000).allowed);
  assert.equal(allowed.filter(Boolean).length, 20);
});

test("IPv6 clients are limited by their /64, IPv4-mapped addresses as IPv4", () => {
  assert.equal(addressKey("2001:db8:1:2:aaaa::1"), addressKey("2001:db8:1:2:bbbb:cccc:dddd:eeee"));
  assert.notEqual(addressKey("2001:db8:1:2::1"), addressKey("2001:db8:1:3::1"));
  assert.equal(addressKey("::ffff:10.0.0.1"), addressKey("10.0.0.1"));
  assert.equal(addressKey("::1"), "addr:0:0:0:0::/64");
});

test("a refused burst is reported once per window", () => {
  const once = new OncePerWindow(60_000);
  assert.deepEqual([once.first("k", 0), once.first("k", 10), once.first("k", 60_001)], [true, false, true]);
});
