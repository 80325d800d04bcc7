// The console reached from another machine: by a host name (not localhost), over plain http and
// over https with the self-signed certificate, on the one port (docs/decisions/0011-http-and-https.md).
import http from "node:http";
import https from "node:https";
import type { TLSSocket } from "node:tls";
import { chromium } from "./chromium";
import { consoleUrl, expect, shot, test } from "./fixtures";

const NAME = "guesthouse.test";
const port = new URL(consoleUrl).port;

// Chromium resolves the name to this machine, as a DNS entry would on a real network.
test.use({ launchOptions: { ...chromium, args: [...chromium.args, `--host-resolver-rules=MAP ${NAME} 127.0.0.1`] } });

const schemes = [
  { scheme: "http", cookie: "gh_session", secure: false },
  { scheme: "https", cookie: "__Host-gh_session", secure: true },
] as const;

for (const { scheme, cookie, secure } of schemes) {
  const base = `${scheme}://${NAME}:${port}`;

  test(`by name over ${scheme}: sign in with the form, then every console page with live updates`, async ({ browser, makeUser }) => {
    const user = await makeUser({ role: "Administrator" });
    const context = await browser.newContext({ baseURL: base, ignoreHTTPSErrors: scheme === "https" });
    try {
      const page = await context.newPage();
      const first = await page.goto("/");
      await expect(page).toHaveURL(`${base}/login`);
      expect(first?.headers()["strict-transport-security"], "HSTS only on https").toBe(secure ? "max-age=31536000" : undefined);
      await page.getByLabel("E-mail").fill(user.email);
      await page.getByLabel("Password").fill(user.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
      await expect(page.getByText(/cores/)).toBeVisible();
      // Recent events, fetched with the new cookie, show this very sign-in.
      await expect(page.getByText(user.email).first()).toBeVisible();
      await page.screenshot({ path: shot(`by-name-${scheme}-dashboard`) });

      const cookies = await context.cookies(base);
      expect(cookies.map((c) => c.name)).toEqual([cookie]);
      expect(cookies[0]).toMatchObject({ name: cookie, secure, httpOnly: true, sameSite: "Lax", path: "/", domain: NAME });

      await page.goto("/vms");
      await expect(page.getByRole("heading", { name: "Virtual machines" })).toBeVisible();
      // The SSE subscription carried the cookie and is streaming.
      await expect(page.getByText("● live")).toBeVisible();
      await page.screenshot({ path: shot(`by-name-${scheme}-vms`) });
      await page.goto("/users");
      await expect(page.getByRole("heading", { name: "Users & access" })).toBeVisible();
      await expect(page.getByText(user.email).first()).toBeVisible();
      await page.goto("/audit");
      await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
      await expect(page.getByRole("row").filter({ hasText: user.email }).filter({ hasText: "auth.login" }).first()).toBeVisible();
      await page.screenshot({ path: shot(`by-name-${scheme}-audit`) });
      for (const [path, heading] of [
        ["/templates", "Templates"],
        ["/media", "ISO library"],
        ["/vms/new", "New virtual machine"],
      ] as const) {
        await page.goto(path);
        await expect(page.getByRole("heading", { name: heading })).toBeVisible();
      }
      // A join command for another machine: pinned to this console's certificate over https,
      // and marked as unencrypted over http (docs/decisions/0034).
      await page.goto("/hosts");
      await page.getByRole("button", { name: "Add a host (join token)" }).click();
      const joinPanel = page.getByRole("region", { name: "Join token", exact: true });
      if (secure) {
        const pin = (await consoleCertificateSha256()).replaceAll(":", "").toLowerCase();
        await expect(joinPanel.getByTestId("join-command")).toContainText(`GUESTHOUSE_JOIN='${base}#ghj_`);
        await expect(joinPanel.getByTestId("join-command")).toContainText(`;sha256=${pin}'`);
      } else {
        await expect(joinPanel.getByRole("note")).toContainText("unencrypted");
        await expect(joinPanel.getByTestId("join-command")).not.toContainText("sha256=");
      }
      await page.screenshot({ path: shot(`by-name-${scheme}-join-command`) });

      await page.getByRole("button", { name: "Sign out" }).click();
      await expect(page).toHaveURL(`${base}/login`);
      expect(await context.cookies(base)).toEqual([]);
    } finally {
      await context.close();
    }
  });
}

/** The console certificate's SHA-256 as the browser sees it (AB:CD:…). */
function consoleCertificateSha256(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, servername: NAME, rejectUnauthorized: false, path: "/login" }, (res) => {
      resolve((res.socket as TLSSocket).getPeerCertificate().fingerprint256);
      res.resume();
    });
    req.on("error", reject);
  });
}

/** A login POST to the console as a browser at `origin` would send it, by name, over `scheme`. */
function login(scheme: "http" | "https", origin: string, body: object, extra: Record<string, string> = {}) {
  const mod = scheme === "https" ? https : http;
  const data = JSON.stringify({ json: body });
  return new Promise<{ status: number; setCookie: string[] }>((resolve, reject) => {
    const req = mod.request(
      {
        host: "127.0.0.1",
        port,
        servername: NAME,
        rejectUnauthorized: false,
        method: "POST",
        path: "/api/trpc/auth.login",
        headers: {
          host: `${NAME}:${port}`,
          origin,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(data),
          ...extra,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers["set-cookie"] ?? [] }));
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

test("by name, a mutation from another site is still refused, over http and https alike", async ({ makeUser }) => {
  const user = await makeUser();
  const credentials = { email: user.email, password: user.password };
  for (const scheme of ["http", "https"] as const) {
    const evil = await login(scheme, "http://evil.test", credentials);
    expect(evil.status, `${scheme}: cross-site`).toBe(403);
    expect(evil.setCookie).toEqual([]);
    const own = await login(scheme, `${scheme}://${NAME}:${port}`, credentials);
    expect(own.status, `${scheme}: same origin`).toBe(200);
    expect(own.setCookie[0]).toMatch(scheme === "https" ? /^__Host-gh_session=.*; Secure$/ : /^gh_session=(?!.*Secure)/);
  }
});

test("over plain http a client cannot claim https with the console's internal header", async ({ makeUser }) => {
  const user = await makeUser();
  const r = await login("http", `http://${NAME}:${port}`, { email: user.email, password: user.password }, { "x-gh-tls": "1" });
  expect(r.status).toBe(200);
  expect(r.setCookie[0]).toMatch(/^gh_session=(?!.*Secure)/);
});
