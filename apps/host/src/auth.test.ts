import assert from "node:assert/strict";
import { test } from "node:test";
import { bearerToken, tokenMatches } from "./auth.ts";

test("bearer tokens are read from the Authorization header", () => {
  assert.equal(bearerToken("Bearer abc.def"), "abc.def");
  assert.equal(bearerToken("bearer   xyz "), "xyz");
  assert.equal(bearerToken("Basic abc"), undefined);
  assert.equal(bearerToken(undefined), undefined);
  assert.equal(bearerToken(["Bearer one", "Bearer two"]), "one");
});

test("tokens compare exactly, whatever their lengths", () => {
  const token = "0123456789abcdef0123";
  assert.equal(tokenMatches(token, token), true);
  assert.equal(tokenMatches(token.slice(0, -1), token), false);
  assert.equal(tokenMatches(`${token}x`, token), false);
  assert.equal(tokenMatches("", token), false);
  assert.equal(tokenMatches(undefined, token), false);
  assert.equal(tokenMatches("", ""), false, "an empty configured token never matches");
});
