// What the console decides from a request's headers: client address, https, CSRF.
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { cameOverHttps, clientIp, httpsRedirect, isCrossSite, TLS_HEADER } from "./request.server.ts";

afterEach(() => {
  delete process.env.TRUST_PROXY;
});

test("without TRUST_PROXY the client address is the socket's, whatever X-Forwarded-For says", () => {
  assert.equal(clientIp(new Headers({ "x-forwarded-for": "6.6.6.6" }), "10.0.0.9"), "10.0.0.9");
});

test("behind a trusted proxy the address is the entry the proxy appended (rightmost), not one the client forged", () => {
  process.env.TRUST_PROXY = "1";
  // The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
  assert.equal(clientIp(new Headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.7" }), "127.0.0.1"), "203.0.113.7");
  assert.equal(clientIp(new Headers({ "x-forwarded-for": "203.0.113.7" }), "127.0.0.1"), "203.0.113.7");
  assert.equal(clientIp(new Headers({}), "127.0.0.1"), "127.0.0.1", "no header: the socket's address");
});

test("https is what server.ts says of the socket; a client's own X-Forwarded-Proto counts only behind TRUST_PROXY", () => {
  assert.equal(cameOverHttps(new Headers({ [TLS_HEADER]: "1" })), true);
  assert.equal(cameOverHttps(new Headers({ [TLS_HEADER]: "0" })), false);
  assert.equal(cameOverHttps(new Headers({ [TLS_HEADER]: "0", "x-forwarded-proto": "https" })), false, "forged without a proxy");
  process.env.TRUST_PROXY = "1";
  assert.equal(cameOverHttps(new Headers({ [TLS_HEADER]: "0", "x-forwarded-proto": "https" })), true);
  assert.equal(cameOverHttps(new Headers({ [TLS_HEADER]: "0", "x-forwarded-proto": "https, http" })), false, "the proxy's entry wins");
});

const post = (headers: Record<string, string>) => ({ method: "POST", headers: new Headers(headers) });

test("a mutation is same-site when its Origin is the Host the browser used, by name or address, http or https", () => {
  for (const host of ["guesthouse.test:3000", "192.0.2.10:3000", "localhost:3000"]) {
    assert.equal(isCrossSite(post({ host, origin: `http://${host}` })), false, host);
    assert.equal(isCrossSite(post({ host, origin: `https://${host}` })), false, host);
  }
  assert.equal(isCrossSite(post({ host: "guesthouse.test:3000" })), false, "no Origin: not a browser's cross-site form");
  assert.equal(isCrossSite({ method: "GET", headers: new Headers({ host: "a", origin: "http://evil.test" }) }), false);
});

test("a mutation from another origin is cross-site, also one whose Host only differs in port", () => {
  assert.equal(isCrossSite(post({ host: "guesthouse.test:3000", origin: "http://evil.test" })), true);
  assert.equal(isCrossSite(post({ host: "guesthouse.test:3000", origin: "http://guesthouse.test:3001" })), true);
  assert.equal(isCrossSite(post({ host: "guesthouse.test:3000", origin: "null" })), true);
  assert.equal(isCrossSite(post({ origin: "http://evil.test" })), true, "no Host header");
});

test("PUBLIC_URL's origin is same-site too (a proxy that rewrites Host); nothing else is", () => {
  process.env.PUBLIC_URL = "https://vms.example.org/";
  try {
    assert.equal(isCrossSite(post({ host: "127.0.0.1:3000", origin: "https://vms.example.org" })), false);
    assert.equal(isCrossSite(post({ host: "127.0.0.1:3000", origin: "http://vms.example.org" })), true);
    assert.equal(isCrossSite(post({ host: "127.0.0.1:3000", origin: "http://evil.test" })), true);
  } finally {
    delete process.env.PUBLIC_URL;
  }
});

test("REQUIRE_HTTPS=1 sends plain http from other machines to https on the same Host; loopback and https are served", () => {
  const plain = { encrypted: false, remoteAddress: "192.0.2.5", host: "guesthouse.test:3000", url: "/vms?x=1", headers: new Headers() };
  assert.equal(httpsRedirect(plain), null, "off by default");
  process.env.REQUIRE_HTTPS = "1";
  try {
    assert.equal(httpsRedirect(plain), "https://guesthouse.test:3000/vms?x=1");
    assert.equal(httpsRedirect({ ...plain, encrypted: true }), null);
    assert.equal(httpsRedirect({ ...plain, remoteAddress: "127.0.0.1" }), null);
    assert.equal(httpsRedirect({ ...plain, remoteAddress: "::ffff:127.0.0.1" }), null);
    assert.equal(httpsRedirect({ ...plain, remoteAddress: "::1" }), null);
    process.env.TRUST_PROXY = "1";
    assert.equal(httpsRedirect({ ...plain, headers: new Headers({ "x-forwarded-proto": "https" }) }), null, "the proxy did https");
  } finally {
    delete process.env.REQUIRE_HTTPS;
  }
});
