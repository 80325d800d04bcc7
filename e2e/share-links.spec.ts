// Share links in Chromium against a real tiny Linux guest: someone with no account opens a
// view-only console from a link in a fresh browser context and watches the guest's screen; the
// link stops working on revocation and at expiry, and the viewer is told why within 2 s.
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "@playwright/test";
import { test, expect, callApi, shot } from "./fixtures";
import { serialLine, serialRun } from "./serial";

test.describe.configure({ mode: "serial" });
const vmName = `share-${randomBytes(3).toString("hex")}`;
let vmId = "";

/** The share page's own message (Next's route announcer is an alert too). */
const refusal = (page: Page) => page.locator(".login-card").getByRole("alert");

/** Opens a share link where nobody has signed in, and waits for the guest's screen. */
async function openAsGuest(browser: Browser, link: string): Promise<Page> {
  const guest = await (await browser.newContext()).newPage();
  await guest.goto(link);
  await expect(guest.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
  return guest;
}

test("a view-only share link opens the console with no account, the guest's screen draws there, and revoking it disconnects the guest viewer within 2 s", async ({
  browser,
  page,
  makeUser,
  signIn,
}) => {
  const admin = await makeUser({ role: "Administrator" });
  await signIn(page.context(), admin);
  await page.goto("/vms/new");
  await page.getByLabel("Name").fill(vmName);
  const tiny = await page.getByLabel("Template", { exact: true }).locator("option", { hasText: "Tiny Linux" }).getAttribute("value");
  await page.getByLabel("Template", { exact: true }).selectOption(tiny!);
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name: vmName })).toBeVisible();
  vmId = page.url().split("/").pop()!;
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialLine(page, /^tiny#/);

  const consolePage = await page.context().newPage();
  await consolePage.goto(`/vms/${vmId}`);
  await consolePage.getByRole("tab", { name: "Console" }).click();
  const form = consolePage.getByRole("form", { name: "Make a share link" });
  await form.getByLabel("Link gives").selectOption("view");
  await form.getByLabel("Label").fill("helpdesk");
  await form.getByRole("button", { name: "Make link" }).click();
  const link = await consolePage.getByLabel("New share link").inputValue();
  expect(link).toMatch(/\/share#[A-Za-z0-9_-]{43}$/);

  const guest = await openAsGuest(browser, link);
  await expect(guest.getByRole("toolbar", { name: "Console" })).toContainText("View only");
  const screen = guest.locator("[data-testid=vnc-screen] canvas");
  const before = await screen.screenshot();
  // Something new on the guest's own screen (tty1), written from its serial shell.
  await serialRun(page, "echo SHARED-SCREEN-LINE > /dev/tty1", "drawn");
  await expect.poll(async () => Buffer.compare(await screen.screenshot(), before) !== 0).toBe(true);
  await guest.screenshot({ path: shot("share-link-guest") });

  // The guest viewer is listed, and counted on its link.
  await expect(consolePage.locator(".viewers")).toContainText('guest via share link "helpdesk" · view');
  const row = consolePage.locator("tr[data-share]").filter({ hasText: "helpdesk" });
  await expect(row.locator("td").nth(4)).toHaveText("1");
  await consolePage.screenshot({ path: shot("share-links-panel"), fullPage: true });

  await row.getByRole("button", { name: "Revoke" }).click();
  const revokedAt = Date.now();
  await expect(guest.getByRole("status")).toContainText(`the share link was revoked by ${admin.email}`, { timeout: 2000 });
  expect(Date.now() - revokedAt).toBeLessThan(2000);
  // Its reconnect is refused with the reason, and it stays refused.
  await expect(guest.getByRole("status")).toHaveText(`disconnected: This share link was revoked by ${admin.email}`);
  await expect(row).toContainText(`revoked by ${admin.email}`);
  await guest.reload();
  await expect(refusal(guest)).toHaveText(`This share link was revoked by ${admin.email}`);
  await guest.context().close();
});

test("a share link stops working at its expiry: the guest viewer is disconnected within 2 s with the reason, and the link is refused after", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const made = (await callApi(context, "share.create", { vmId, mode: "view", expiresInSeconds: 30 })) as {
    result: { data: { json: { token: string; expiresAt: string } } };
  };
  await context.close();
  const { token, expiresAt } = made.result.data.json;
  const guest = await openAsGuest(browser, `/share#${token}`);
  const until = new Date(expiresAt).getTime();
  await expect(guest.getByRole("status")).toContainText("the share link expired", { timeout: until - Date.now() + 2000 });
  expect(Date.now() - until).toBeLessThan(2000);
  await expect(guest.getByRole("status")).toHaveText("disconnected: This share link has expired");
  await guest.reload();
  await expect(refusal(guest)).toHaveText("This share link has expired");
  await guest.context().close();
});

test("a link with a PIN asks for it, a wrong PIN is refused with a clear message, the right one opens the console", async ({ browser }) => {
  const context = await browser.newContext();
  const made = (await callApi(context, "share.create", { vmId, mode: "view", expiresInSeconds: 600, pin: "2468", singleUse: true })) as {
    result: { data: { json: { token: string } } };
  };
  await context.close();
  const guest = await (await browser.newContext()).newPage();
  await guest.goto(`/share#${made.result.data.json.token}`);
  await guest.getByLabel("PIN").fill("1357");
  await guest.getByRole("button", { name: "Open console" }).click();
  await expect(refusal(guest)).toHaveText("Wrong PIN");
  await guest.getByLabel("PIN").fill("2468");
  await guest.getByRole("button", { name: "Open console" }).click();
  await expect(guest.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
  // Single use: a second browser with the same link and the right PIN is refused.
  const second = await (await browser.newContext()).newPage();
  await second.goto(`/share#${made.result.data.json.token}`);
  await expect(refusal(second)).toHaveText("This share link has already been used");
  await guest.context().close();
  await second.context().close();
});

test.afterAll(async ({ browser }) => {
  if (!vmId) return;
  const context = await browser.newContext();
  await callApi(context, "vm.stop", { vmId }).catch(() => undefined);
  await callApi(context, "vm.delete", { vmId });
  await context.close();
});
