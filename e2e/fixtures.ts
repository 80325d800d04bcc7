// Playwright fixtures: each test makes its own users and VMs in the real database and removes them.
import { test as base, expect, type BrowserContext, type Page } from "@playwright/test";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { createDb, hashPassword, sha256, type Db } from "@guesthouse/db";

export const consoleUrl = process.env.CONSOLE_URL ?? "http://localhost:3100";

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

interface Fixtures {
  db: Db;
  makeUser: (opts?: { role?: string; vmId?: string }) => Promise<TestUser>;
  signIn: (context: BrowserContext, user: TestUser) => Promise<void>;
}

export const test = base.extend<Fixtures>({
  // eslint-disable-next-line no-empty-pattern
  db: async ({}, use) => {
    const db = createDb(process.env.DATABASE_URL!);
    await use(db);
    await db.$disconnect();
  },
  makeUser: async ({ db }, use) => {
    const made: string[] = [];
    await use(async (opts = {}) => {
      const email = `u-${randomBytes(4).toString("hex")}@test.local`;
      const password = `pw-${randomBytes(8).toString("hex")}`;
      const user = await db.user.create({ data: { email, name: email.split("@")[0]!, passwordHash: await hashPassword(password) } });
      made.push(user.id);
      if (opts.role) {
        const role = await db.role.findUniqueOrThrow({ where: { name: opts.role } });
        await db.accessGrant.create({ data: { roleId: role.id, userId: user.id, scope: opts.vmId ? "vm" : "global", vmId: opts.vmId } });
      }
      return { id: user.id, email, password };
    });
    await db.user.deleteMany({ where: { id: { in: made } } });
  },
  // Sets a real session cookie, as logging in would, without clicking through the form every time.
  signIn: async ({ db }, use) => {
    await use(async (context, user) => {
      const token = randomBytes(32).toString("base64url");
      await db.session.create({ data: { tokenHash: sha256(token), userId: user.id, expiresAt: new Date(Date.now() + 3600_000) } });
      await context.addCookies([{ name: "gh_session", value: token, url: consoleUrl, httpOnly: true, sameSite: "Lax" }]);
    });
  },
});

export { expect };

export const screenshotDir = fileURLToPath(new URL("../.data/test/screenshots/", import.meta.url));
export const shot = (name: string) => `${screenshotDir}${name}.png`;

// Playwright's keyboard.type sends "$" as the Digit4 key without Shift; a real keyboard holds Shift,
// and QEMU reads scancodes, so press the shifted characters the way a person does.
const SHIFTED: Record<string, string> = {
  $: "Digit4",
  "(": "Digit9",
  ")": "Digit0",
  "*": "Digit8",
  ">": "Period",
  "|": "Backslash",
  "&": "Digit7",
  '"': "Quote",
  _: "Minus",
};

export async function typeLikeAPerson(page: Page, text: string): Promise<void> {
  for (const ch of text) {
    if (SHIFTED[ch]) await page.keyboard.press(`Shift+${SHIFTED[ch]}`);
    else if (/[A-Z]/.test(ch)) await page.keyboard.press(`Shift+Key${ch}`);
    else if (ch === "\n") await page.keyboard.press("Enter");
    else await page.keyboard.type(ch);
  }
}

/** Calls a console API mutation as a fresh administrator (for set-up and clean-up outside the UI). */
export async function callApi(context: BrowserContext, path: string, input: unknown): Promise<unknown> {
  const db = createDb(process.env.DATABASE_URL!);
  try {
    const role = await db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
    const user = await db.user.create({
      data: { email: `cleanup-${randomBytes(4).toString("hex")}@test.local`, name: "cleanup", passwordHash: "!" },
    });
    await db.accessGrant.create({ data: { roleId: role.id, userId: user.id, scope: "global" } });
    const token = randomBytes(32).toString("base64url");
    await db.session.create({ data: { tokenHash: sha256(token), userId: user.id, expiresAt: new Date(Date.now() + 60_000) } });
    const res = await context.request.post(`${consoleUrl}/api/trpc/${path}`, {
      headers: { cookie: `gh_session=${token}` },
      data: { json: input },
      // A call that hangs fails the test with its name, instead of eating the test's whole timeout.
      timeout: 60_000,
    });
    await db.user.delete({ where: { id: user.id } });
    if (!res.ok()) throw new Error(`${path} failed: ${res.status()} ${await res.text()}`);
    return res.json();
  } finally {
    await db.$disconnect();
  }
}

/** A tiny-Linux VM made through the API (no NIC unless `extra` says otherwise); its id. */
export async function makeTinyVm(context: BrowserContext, db: Db, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const tpl = await db.template.findFirstOrThrow({ where: { name: { contains: "Tiny Linux" }, onHost: false } });
  const made = (await callApi(context, "vm.create", { name, source: { kind: "template", templateId: tpl.id }, nics: [], ...extra })) as {
    result: { data: { json: { id: string } } };
  };
  return made.result.data.json.id;
}
