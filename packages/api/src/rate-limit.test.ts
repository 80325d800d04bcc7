import { test } from "node:test";
import assert from "node:assert/strict";
import { FailureLimiter } from "./rate-limit.ts";

test("after the allowed failures the key is locked, with the seconds until the oldest failure expires", () => {
  const limiter = new FailureLimiter(3, 60_000);
  const t0 = 1_000_000;
  for (let i = 0; i < 3; i++) {
    assert.equal(limiter.check("acct:a", t0 + i).allowed, true);
    limiter.fail("acct:a", t0 + i);
  }
  assert.deepEqual(limiter.check("acct:a", t0 + 10_000), { allowed: false, retryAfterS: 50 });
  assert.equal(limiter.check("acct:b", t0 + 10_000).allowed, true, "other keys are unaffected");
  assert.equal(limiter.check("acct:a", t0 + 60_001).allowed, true, "the window slides");
});

test("a success resets the account's count", () => {
  const limiter = new FailureLimiter(2, 60_000);
  limiter.fail("k");
  limiter.reset("k");
  limiter.fail("k");
  assert.equal(limiter.check("k").allowed, true);
});
