// Black-box probes of the running console from a security review: each drives the console the way
// an attacker without (or with little) access would, over HTTP or a raw TCP socket.
import http from "node:http";
import net from "node:net";
import { randomBytes } from "node:crypto";
import { test, expect, consoleUrl } from "./fixtures";
import { sha256 } from "@guesthouse/db";

const target = new URL(consoleUrl);

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request from a chosen loopback address (127.0.0.0/8 all reach the console), so tests can be "other machines". */
function request(opts: { path: string; method?: string; from?: string; body?: unknown; cookie?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      {
        host: target.hostname === "localhost" ? "127.0.0.1" : target.hostname,
        port: target.port,
        path: opts.path,
        method: opts.method ?? "GET",
        localAddress: opts.from,
        headers: {
          host: target.host,
          ...(payload ? { "content-type": "application/json", origin: consoleUrl } : {}),
          ...(opts.cookie ? { cookie: opts.cookie } : {}),
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const loginBatch = (n: number, email: string, password: string, from?: string) =>
  request({
    method: "POST",
    path: `/api/trpc/${Array.from({ length: n }, () => "auth.login").join(",")}?batch=1`,
    from,
    body: Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), { json: { email, password } }])),
  });

const login = (email: string, password: string, from?: string) =>
  request({ method: "POST", path: "/api/trpc/auth.login", from, body: { json: { email, password } } });

/** A fresh loopback address per test, so the per-address limits of one test do not reach the next. */
const address = () => `127.${1 + (randomBytes(1)[0]! % 200)}.${randomBytes(1)[0]! % 250}.${2 + (randomBytes(1)[0]! % 250)}`;

test.describe("sign-in throttling holds however the attempts arrive", () => {
  test("a batch of logins checks at most five passwords, the burst is audited once, and big batches are refused", async ({
    makeUser,
    db,
  }) => {
    const user = await makeUser({ role: "Observer" });
    const from = address();
    const failures = () => db.auditEvent.count({ where: { actorName: user.email, action: "auth.login", outcome: "failure" } });
    // 30 in one POST: more than a batch may carry, refused before any password is checked.
    expect((await loginBatch(30, user.email, "wrong-password", from)).status).toBe(400);
    expect(await failures()).toBe(0);
    // 16, the most a batch may carry: still only five passwords are checked.
    const res = await loginBatch(16, user.email, "wrong-password", from);
    expect(res.status).not.toBe(200); // 207: a batch of different refusals (401s, 429s)
    expect((res.body.match(/TOO_MANY_REQUESTS/g) ?? []).length).toBeGreaterThanOrEqual(11);
    expect(await failures()).toBeLessThanOrEqual(5);
    const denied = await db.auditEvent.count({ where: { actorName: user.email, action: "auth.login", outcome: "denied" } });
    expect(denied).toBeLessThanOrEqual(1);
  });

  test("thirty logins sent at once check at most five passwords", async ({ makeUser, db }) => {
    const user = await makeUser({ role: "Observer" });
    const from = address();
    const replies = await Promise.all(Array.from({ length: 30 }, () => login(user.email, "wrong-password", from)));
    expect(replies.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(25);
    const failures = await db.auditEvent.count({ where: { actorName: user.email, action: "auth.login", outcome: "failure" } });
    expect(failures).toBeLessThanOrEqual(5);
  });

  test("someone guessing at an account from one address does not keep its owner out from another", async ({ makeUser }) => {
    const user = await makeUser({ role: "Administrator" });
    const attacker = address();
    for (let i = 0; i < 4; i++) await loginBatch(10, user.email, "wrong-password", attacker);
    // (the second and later batches were refused outright; the owner's address has not guessed at all)
    expect((await login(user.email, user.password, attacker)).status).toBe(429);
    const owner = await login(user.email, user.password, address());
    expect(owner.status).toBe(200);
  });

  test("one address guessing at many accounts is stopped too", async () => {
    const from = address();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await login(`nobody-${i}-${randomBytes(3).toString("hex")}@test.local`, "x", from)).status);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
  });

  test("changePassword checks at most five guesses at the current password", async ({ makeUser, db }) => {
    const user = await makeUser({ role: "Observer" });
    const token = randomBytes(32).toString("base64url");
    await db.session.create({ data: { tokenHash: sha256(token), userId: user.id, expiresAt: new Date(Date.now() + 600_000) } });
    const n = 16;
    const res = await request({
      method: "POST",
      path: `/api/trpc/${Array.from({ length: n }, () => "auth.changePassword").join(",")}?batch=1`,
      cookie: `gh_session=${token}`,
      from: address(),
      body: Object.fromEntries(
        Array.from({ length: n }, (_, i) => [String(i), { json: { current: `guess-${i}`, next: "a-new-password-123" } }]),
      ),
    });
    expect(res.status).not.toBe(200); // 207: a batch of different refusals (401s, 429s)
    const failures = await db.auditEvent.count({ where: { actorId: user.id, action: "auth.changePassword", outcome: "failure" } });
    expect(failures).toBeLessThanOrEqual(5);
  });
});

test("a malformed WebSocket upgrade is answered and its socket closed at once", async () => {
  for (const line of ["GET http://[ HTTP/1.1", "GET /ws/display/%zz?ticket=x HTTP/1.1"]) {
    const closed = await new Promise<{ data: string; ms: number }>((resolve, reject) => {
      const started = Date.now();
      const socket = net.connect({ host: "127.0.0.1", port: Number(target.port) });
      let data = "";
      socket.setEncoding("utf8");
      socket.on("data", (c: string) => (data += c));
      socket.on("error", reject);
      socket.on("close", () => resolve({ data, ms: Date.now() - started }));
      socket.write(
        `${line}\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n\r\n`,
      );
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`the console kept the socket of '${line}' open for 5 s`));
      }, 5000);
    });
    expect(closed.data).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(closed.ms).toBeLessThan(5000);
  }
});

test("a refused upgrade is closed even when the client never closes its side", async () => {
  const gone = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port: Number(target.port), allowHalfOpen: true });
    socket.on("error", () => resolve(true));
    socket.on("close", () => resolve(true));
    socket.resume(); // read the answer, so that its end is seen
    // The console has answered and ended its side: keep writing until it drops the connection.
    socket.on("end", () => {
      const poke = setInterval(() => socket.write("x"), 200);
      socket.once("close", () => clearInterval(poke));
      setTimeout(() => {
        clearInterval(poke);
        socket.destroy();
        resolve(false);
      }, 5000);
    });
    socket.write(
      `GET /ws/display/vm-x?ticket=forged HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n\r\n`,
    );
  });
  expect(gone).toBe(true);
});

test("the health check tells an anonymous caller only whether the console is up", async () => {
  const res = await request({ path: "/api/health" });
  expect(res.status).toBe(200);
  expect(JSON.parse(res.body)).toEqual({ status: "ok" });
});

test("every page carries a Content-Security-Policy and the usual hardening headers", async () => {
  const res = await request({ path: "/login" });
  expect(res.status).toBe(200);
  const csp = String(res.headers["content-security-policy"] ?? "");
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toMatch(/script-src [^;]*'nonce-[A-Za-z0-9+/=]+'/);
  expect(csp).not.toMatch(/script-src [^;]*'unsafe-inline'/);
  expect(res.headers["x-content-type-options"]).toBe("nosniff");
  expect(res.headers["referrer-policy"]).toBe("same-origin");
});

test("the running stack's data folder is not readable by other local users; uploads are private", async () => {
  const { stat } = await import("node:fs/promises");
  const data = process.env.GUESTHOUSE_DATA!;
  const mode = async (p: string) => (await stat(p)).mode & 0o777;
  // Others may pass through (the embedded PostgreSQL runs as its own user and is up), not list or write.
  expect((await mode(data)) & 0o066).toBe(0);
  // Uploads: the service's alone; QEMU's own group may pass through to an ISO a guest uses (ADR 0025), never list.
  expect((await mode(`${data}/media`)) & 0o067).toBe(0);
  expect((await mode(`${data}/images`)) & 0o066).toBe(0);
});
