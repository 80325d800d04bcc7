// State latency: from a host's state event to a second browser's VM list showing it. The host's
// event carries the moment it happened (`at`); the page notes the moment its row changed (same
// clock, same machine). 100 pause/resume transitions of one running tiny Linux guest.
//   CONSOLE_URL=… DATABASE_URL=… HOST_URL=… HOST_TOKEN=… node --import tsx bench/state-latency.ts
// (the values `npm run up` prints or uses; BENCH_TRANSITIONS=N to change 100). Goal: p95 ≤ 250 ms.
import { randomBytes } from "node:crypto";
import { chromium } from "@playwright/test";
import { chromium as debianChromium } from "../e2e/chromium.ts";
import { createDb, sha256 } from "@guesthouse/db";
import { createHostClient } from "@guesthouse/host-client";

const base = process.env.CONSOLE_URL ?? "http://localhost:3000";
const TRANSITIONS = Number(process.env.BENCH_TRANSITIONS ?? 100);
const deadline = setTimeout(() => {
  console.error("state-latency: deadline passed, giving up");
  process.exit(2);
}, 300_000);

const db = createDb(process.env.DATABASE_URL!);
const host = createHostClient({ url: process.env.HOST_URL!, token: process.env.HOST_TOKEN! });
const role = await db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
const user = await db.user.create({
  data: { email: `bench-${randomBytes(4).toString("hex")}@bench.local`, name: "bench", passwordHash: "!" },
});
await db.accessGrant.create({ data: { roleId: role.id, userId: user.id, scope: "global" } });
const token = randomBytes(32).toString("base64url");
await db.session.create({ data: { tokenHash: sha256(token), userId: user.id, expiresAt: new Date(Date.now() + 600_000) } });
const cookie = `gh_session=${token}`;

async function api(path: string, input: unknown): Promise<{ result: { data: { json: Record<string, unknown> } } }> {
  const res = await fetch(`${base}/api/trpc/${path}`, {
    method: "POST",
    headers: { cookie, origin: base, "content-type": "application/json" },
    body: JSON.stringify({ json: input }),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as never;
}

const tpl = await db.template.findFirstOrThrow({ where: { name: { contains: "Tiny Linux" }, onHost: false } });
const name = `latency-${randomBytes(3).toString("hex")}`;
const vmId = String((await api("vm.create", { name, source: { kind: "template", templateId: tpl.id } })).result.data.json.id);
const browser = await chromium.launch(debianChromium);
const latencies: number[] = [];
try {
  await api("vm.start", { vmId });
  const context = await browser.newContext();
  await context.addCookies([{ name: "gh_session", value: token, url: base }]);
  const page = await context.newPage();
  await page.goto(`${base}/vms`);
  const cell = page.locator(`tr[data-vm="${name}"] [data-testid=vm-state]`);
  await cell.filter({ hasText: "running" }).waitFor({ timeout: 60_000 });
  await page.evaluate((selector) => {
    const seen: { state: string; at: number }[] = [];
    (window as unknown as { __seen: typeof seen }).__seen = seen;
    const target = document.querySelector(selector)!;
    new MutationObserver(() => seen.push({ state: target.textContent ?? "", at: Date.now() })).observe(target, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  }, `tr[data-vm="${name}"] [data-testid=vm-state]`);

  // The host's own stream tells when each state really happened.
  const events: { state: string; at: number }[] = [];
  const sub = host.vm.events.subscribe(
    { id: vmId },
    {
      onData: (envelope) => {
        const e = "data" in envelope ? envelope.data : envelope;
        if (e.type === "state") events.push({ state: e.state, at: e.at });
      },
    },
  );
  for (let i = 0; i < TRANSITIONS; i++) {
    const next = i % 2 === 0 ? "paused" : "running";
    const before = events.length;
    if (next === "paused") await host.vm.pause.mutate({ id: vmId });
    else await host.vm.resume.mutate({ id: vmId });
    await cell.filter({ hasText: next }).waitFor({ timeout: 10_000 });
    const event = events.slice(before).find((e) => e.state === next);
    const seen = (await page.evaluate(() => (window as unknown as { __seen: { state: string; at: number }[] }).__seen)).filter(
      (s) => s.state === next,
    );
    const shown = seen[seen.length - 1];
    if (event && shown) latencies.push(shown.at - event.at);
  }
  sub.unsubscribe();
  await context.close();
} finally {
  await browser.close();
  await api("vm.stop", { vmId }).catch(() => undefined);
  await api("vm.delete", { vmId }).catch(() => undefined);
  await db.user.delete({ where: { id: user.id } });
  await db.$disconnect();
  clearTimeout(deadline);
}
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
console.log(`state-latency: ${latencies.length} of ${TRANSITIONS} transitions measured (host event → second browser's VM list)`);
console.log(
  `  p50 ${pct(50)} ms   p95 ${pct(95)} ms   max ${latencies[latencies.length - 1]} ms   goal p95 ≤ 250 ms → ${pct(95) <= 250 ? "MET" : "MISSED"}`,
);
