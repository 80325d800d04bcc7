// Console page load to interactive in Debian's Chromium, against a running console (npm run up).
// Anchor: the login page (server-rendered, no data, no session), loaded the same way.
//   CONSOLE_URL=http://localhost:3000 DATABASE_URL=… node --import tsx bench/console-load.ts
import { randomBytes } from "node:crypto";
import { chromium } from "@playwright/test";
import { chromium as debianChromium } from "../e2e/chromium.ts";
import { createDb, sha256 } from "@guesthouse/db";

const base = process.env.CONSOLE_URL ?? "http://localhost:3000";
const db = createDb(process.env.DATABASE_URL!);
const role = await db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
const user = await db.user.create({
  data: { email: `bench-${randomBytes(4).toString("hex")}@bench.local`, name: "bench", passwordHash: "!" },
});
await db.accessGrant.create({ data: { roleId: role.id, userId: user.id, scope: "global" } });
const token = randomBytes(32).toString("base64url");
await db.session.create({ data: { tokenHash: sha256(token), userId: user.id, expiresAt: new Date(Date.now() + 600_000) } });

const browser = await chromium.launch(debianChromium);
async function time(path: string, ready: string, signedIn: boolean): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < 12; i++) {
    const context = await browser.newContext();
    if (signedIn) await context.addCookies([{ name: "gh_session", value: token, url: base }]);
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(base + path);
    await page.locator(ready).first().waitFor();
    if (i >= 2) samples.push(Date.now() - t0); // first two warm the server's caches
    await context.close();
  }
  return samples.sort((a, b) => a - b);
}
const median = (s: number[]) => s[Math.floor(s.length / 2)]!;
const anchor = median(await time("/login", "button[type=submit]", false));
console.log(`page load to interactive (median of 10, cold browser context each time)`);
console.log(`anchor  /login (no data)                 ${anchor} ms`);
for (const [path, ready, label] of [
  ["/", "text=cores", "/ dashboard (host figures)"],
  ["/vms", "table.grid tbody tr", "/vms VM list (first page)"],
] as const) {
  const m = median(await time(path, ready, true));
  console.log(`${label.padEnd(40)} ${m} ms  (${(m / anchor).toFixed(1)}× anchor)`);
}
await browser.close();
await db.user.delete({ where: { id: user.id } });
await db.$disconnect();
