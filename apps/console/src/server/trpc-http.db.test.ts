// The console's /api/trpc endpoint, which its own server serves outside Next (ADR 0061), as a
// browser meets it, against the console `npm test` started: event streams stream and end when the
// client goes, an oversized body is a 413 before it is read whole, and every answer carries the
// security headers. (Whether closed streams are let go is measured by bench/soak.ts.)
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import superjson from "superjson";
import WebSocket from "ws";

const consoleUrl = process.env.CONSOLE_URL ?? "";
let cookie = "";

function post(path: string, body: string) {
  return fetch(`${consoleUrl}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: consoleUrl, cookie },
    body,
  });
}

/** A vm.events stream read until its first message; then the client goes. */
async function openAndCloseStream(): Promise<void> {
  const ac = new AbortController();
  const response = await fetch(`${consoleUrl}/api/trpc/vm.events`, {
    headers: { cookie, origin: consoleUrl, accept: "text/event-stream" },
    signal: ac.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
  const first = await response.body!.getReader().read();
  assert.ok(first.value && first.value.length > 0, "the stream sent something before it was closed");
  ac.abort();
}

describe("the console's API endpoint", () => {
  before(async () => {
    assert.ok(consoleUrl, "CONSOLE_URL names the console npm test started");
    const response = await post(
      "auth.login",
      JSON.stringify(superjson.serialize({ email: "admin@test.local", password: "test-admin-password-1" })),
    );
    assert.equal(response.status, 200, await response.clone().text());
    cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
  });

  test("event streams stream, and 30 a client closed leave the API answering", async () => {
    for (let i = 0; i < 30; i++) await openAndCloseStream();
    const response = await fetch(`${consoleUrl}/api/trpc/auth.me`, { headers: { cookie, origin: consoleUrl } });
    assert.equal(response.status, 200);
  });

  test("a body past the API's 1 MiB limit is refused with 413, not read whole", async () => {
    const response = await post("auth.login", JSON.stringify({ json: { email: "a".repeat(2 * 1024 * 1024), password: "x" } }));
    assert.equal(response.status, 413);
    assert.match(await response.text(), /PAYLOAD_TOO_LARGE/);
  });

  test("API answers carry the security headers pages carry", async () => {
    const response = await fetch(`${consoleUrl}/api/trpc/auth.me`, { headers: { cookie, origin: consoleUrl } });
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    assert.equal(response.headers.get("referrer-policy"), "same-origin");
  });

  test("signing out ends that session's open event stream within the re-check bound, saying why", { timeout: 15_000 }, async () => {
    const login = await post(
      "auth.login",
      JSON.stringify(superjson.serialize({ email: "admin@test.local", password: "test-admin-password-1" })),
    );
    const own = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const response = await fetch(`${consoleUrl}/api/trpc/vm.events`, {
      headers: { cookie: own, origin: consoleUrl, accept: "text/event-stream" },
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    await reader.read();
    const out = await fetch(`${consoleUrl}/api/trpc/auth.logout`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: consoleUrl, cookie: own },
      body: "{}",
    });
    assert.equal(out.status, 200);
    const signedOutAt = Date.now();
    let text = "";
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
      if (text.includes("your session ended")) break;
    }
    const took = Date.now() - signedOutAt;
    assert.match(text, /your session ended/);
    assert.ok(took < 3000, `the stream was told within ${took} ms (the bound is 2 s, plus a sweep's own time)`);
  });

  test("the streams' WebSocket opens from the console's own pages, and is refused to another site's", async () => {
    const open = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${consoleUrl.replace(/^http/, "ws")}/api/trpc-ws`, { headers: { cookie, origin } });
        ws.once("open", () => (ws.close(), resolve(101)));
        ws.once("unexpected-response", (_req, res) => (res.resume(), resolve(res.statusCode ?? 0)));
        ws.once("error", reject);
      });
    assert.equal(await open(consoleUrl), 101);
    assert.equal(await open("https://evil.example"), 403);
  });

  test("the streams' WebSocket runs subscriptions and nothing else: a query there is refused, naming the HTTP path", async () => {
    const ws = new WebSocket(`${consoleUrl.replace(/^http/, "ws")}/api/trpc-ws`, { headers: { cookie, origin: consoleUrl } });
    await new Promise((ok, fail) => ws.once("open", ok).once("error", fail));
    // Errors come superjson-encoded, as every answer of this API.
    const answers: { id: number; error?: { json: { message: string } }; result?: { type: string } }[] = [];
    const got = (id: number) =>
      new Promise<(typeof answers)[number]>((resolve) => {
        const look = () => {
          const a = answers.find((x) => x.id === id);
          if (!a) return;
          ws.off("message", look);
          resolve(a);
        };
        ws.on("message", look);
        look();
      });
    ws.on("message", (data) => answers.push(JSON.parse(String(data)) as (typeof answers)[number]));
    ws.send(JSON.stringify({ id: 1, method: "query", params: { path: "auth.me", input: superjson.serialize(undefined) } }));
    ws.send(JSON.stringify({ id: 2, method: "subscription", params: { path: "vm.events", input: superjson.serialize(undefined) } }));
    const [query, stream] = await Promise.all([got(1), got(2)]);
    ws.close();
    assert.match(query.error?.json.message ?? "", /only subscriptions run over the streams WebSocket; send this query to \/api\/trpc/);
    assert.equal(stream.error, undefined, "the subscription on the same socket runs");
    assert.equal(stream.result?.type, "started");
  });

  test("the streams' WebSocket of a session that signs out is closed within the bound, saying why", { timeout: 15_000 }, async () => {
    const login = await post(
      "auth.login",
      JSON.stringify(superjson.serialize({ email: "admin@test.local", password: "test-admin-password-1" })),
    );
    const own = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const ws = new WebSocket(`${consoleUrl.replace(/^http/, "ws")}/api/trpc-ws`, { headers: { cookie: own, origin: consoleUrl } });
    await new Promise((ok, fail) => ws.once("open", ok).once("error", fail));
    const closed = new Promise<{ code: number; reason: string }>((ok) =>
      ws.once("close", (code, reason) => ok({ code, reason: String(reason) })),
    );
    const out = await fetch(`${consoleUrl}/api/trpc/auth.logout`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: consoleUrl, cookie: own },
      body: "{}",
    });
    assert.equal(out.status, 200);
    const signedOutAt = Date.now();
    const { code, reason } = await closed;
    assert.equal(code, 4401);
    assert.match(reason, /your session ended/);
    assert.ok(Date.now() - signedOutAt < 3000, "closed within the re-check bound");
  });
});
