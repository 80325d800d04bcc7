import { test } from "node:test";
import assert from "node:assert/strict";
import { clearedSessionCookie, readCookie, sessionCookie, sessionCookieName } from "./session.ts";

const expires = new Date("2030-01-01T00:00:00Z");
const attributes = (cookie: string) => cookie.split("; ").slice(1);

test("over https the cookie is __Host-gh_session: Secure, Path=/ and no Domain", () => {
  const cookie = sessionCookie("tok", expires, true);
  assert.match(cookie, /^__Host-gh_session=tok; /);
  assert.ok(attributes(cookie).includes("Secure"));
  assert.ok(attributes(cookie).includes("Path=/"));
  assert.ok(!attributes(cookie).some((a) => /^Domain=/i.test(a)));
  assert.ok(attributes(cookie).includes("HttpOnly") && attributes(cookie).includes("SameSite=Lax"));
});

test("over plain http the cookie is gh_session without Secure, or the browser would drop it", () => {
  const cookie = sessionCookie("tok", expires, false);
  assert.match(cookie, /^gh_session=tok; /);
  assert.ok(!attributes(cookie).includes("Secure"));
});

test("signing out clears the cookie of the same name and flags it was set with", () => {
  assert.match(clearedSessionCookie(true), /^__Host-gh_session=; Path=\/; .*Max-Age=0; Secure$/);
  assert.match(clearedSessionCookie(false), /^gh_session=; Path=\/; .*Max-Age=0$/);
});

test("the cookie is read under the name that matches the request's protocol only", () => {
  const header = "gh_session=plain; __Host-gh_session=secure";
  assert.equal(readCookie(header, sessionCookieName(true)), "secure");
  assert.equal(readCookie(header, sessionCookieName(false)), "plain");
  assert.equal(readCookie("gh_session=plain", sessionCookieName(true)), undefined, "a plain-http cookie does not sign in over https");
});
