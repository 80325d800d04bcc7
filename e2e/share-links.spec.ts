// Share links in Chromium against a real tiny Linux guest: someone with no account opens a
// view-only console from a link in a fresh browser context and watches the guest's screen; the
// link stops working on revocation and at expiry, and the viewer is told why within 2 s. A control
// link's visitor takes control under the operators' own one-controller rule (ADR 0050).
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "@playwright/test";
import { test, expect, callApi, shot, typeLikeAPerson } from "./fixtures";
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

test("a control link's visitor watches while an operator has control, takes it on request and types into the guest, is listed as the controller, and loses it to the operator's own request", async ({
  browser,
  page,
  makeUser,
  signIn,
}) => {
  const operator = await makeUser({ role: "Administrator" });
  await signIn(page.context(), operator);
  await page.goto(`/vms/${vmId}`);
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialLine(page, /^tiny#/);
  const operatorConsole = await page.context().newPage();
  await operatorConsole.goto(`/vms/${vmId}`);
  await operatorConsole.getByRole("tab", { name: "Console" }).click();
  await expect(operatorConsole.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
  await expect(operatorConsole.getByLabel("Mode")).toHaveValue("control");
  const form = operatorConsole.getByRole("form", { name: "Make a share link" });
  await form.getByLabel("Link gives").selectOption("control");
  await form.getByLabel("Label").fill("vendor");
  await form.getByRole("button", { name: "Make link" }).click();
  const link = await operatorConsole.getByLabel("New share link").inputValue();
  const viewers = operatorConsole.locator(".viewers");

  // Someone has control: the visitor watches, is told who has it, and is listed as watching.
  const guest = await openAsGuest(browser, link);
  const toolbar = guest.getByRole("toolbar", { name: "Console" });
  await expect(guest.getByRole("status").filter({ hasText: `${operator.email} has control of this console` })).toBeVisible();
  await expect(toolbar).toContainText("Watching · link expires");
  await expect(viewers).toContainText('guest via share link "vendor" · view');

  // Request control: the visitor has it, the operator watches, the list says who controls.
  await guest.getByRole("button", { name: "Request control" }).click();
  await expect(toolbar).toContainText("Control · link expires");
  await expect(guest.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
  await expect(guest.getByRole("button", { name: "Request control" })).toHaveCount(0);
  await operatorConsole.bringToFront();
  await expect(
    operatorConsole.getByRole("status").filter({ hasText: 'guest via share link "vendor" has control of this console' }),
  ).toBeVisible();
  await expect(operatorConsole.getByLabel("Mode")).toHaveValue("view");
  await expect(viewers).toContainText('guest via share link "vendor" · control');
  await expect(viewers.getByRole("listitem").filter({ hasText: " · control" })).toHaveCount(1);

  // The visitor's keys reach the guest: a command typed on its screen prints on the serial port.
  await guest.bringToFront();
  await guest.locator("[data-testid=vnc-screen] canvas").click();
  await typeLikeAPerson(guest, "echo $((6*7))SHARED > /dev/ttyS0\n");
  await page.bringToFront();
  await serialLine(page, /^(tiny# )?42SHARED$/);
  await guest.screenshot({ path: shot("share-link-control") });

  // The operator asks for control back: the visitor watches again, with its button to ask once more.
  await operatorConsole.bringToFront();
  await operatorConsole.getByRole("button", { name: "Request control" }).click();
  await expect(operatorConsole.getByLabel("Mode")).toHaveValue("control");
  await guest.bringToFront();
  await expect(guest.getByRole("status").filter({ hasText: `${operator.email} has control of this console` })).toBeVisible();
  await expect(toolbar).toContainText("Watching · link expires");
  await expect(guest.getByRole("button", { name: "Request control" })).toBeVisible();
  await guest.context().close();
  await operatorConsole.close();
});

test("a view-only link's visitor is offered no control, and asking for it directly is refused", async ({ browser }) => {
  const context = await browser.newContext();
  const made = (await callApi(context, "share.create", { vmId, mode: "view", expiresInSeconds: 600 })) as {
    result: { data: { json: { token: string } } };
  };
  await context.close();
  const guest = await openAsGuest(browser, `/share#${made.result.data.json.token}`);
  await expect(guest.getByRole("toolbar", { name: "Console" })).toContainText("View only");
  await expect(guest.getByRole("button", { name: "Request control" })).toHaveCount(0);
  // The page's own pass, asked for control as a hand-made request would.
  const opened = await guest.request.post("/api/trpc/share.open", { data: { json: { token: made.result.data.json.token } } });
  const pass = ((await opened.json()) as { result: { data: { json: { pass: string } } } }).result.data.json.pass;
  const refused = await guest.request.post("/api/trpc/share.ticket", { data: { json: { pass, mode: "control", takeOver: true } } });
  expect(refused.status()).toBe(403);
  expect(JSON.stringify(await refused.json())).toContain("This share link is view-only: it cannot take control");
  await guest.context().close();
});

test("a visitor's console waits while its VM cannot be shown, and comes back by itself once it can", async ({ browser }) => {
  const context = await browser.newContext();
  const made = (await callApi(context, "share.create", { vmId, mode: "view", expiresInSeconds: 600 })) as {
    result: { data: { json: { token: string } } };
  };
  const guest = await openAsGuest(browser, `/share#${made.result.data.json.token}`);
  const status = guest.locator(".toolbar").getByRole("status");
  await callApi(context, "vm.stop", { vmId });
  // Told why, and still trying: the page is not left for dead.
  await expect(status).toContainText(`reconnecting: VM '${vmName}' is stopped: start it to see its screen`, { timeout: 15_000 });
  await guest.screenshot({ path: shot("share-link-waiting") });
  await callApi(context, "vm.start", { vmId });
  await expect(status).toHaveText("connected", { timeout: 30_000 });
  await expect(guest.getByRole("toolbar", { name: "Console" })).toContainText("View only");
  await guest.context().close();
  await context.close();
});

test.afterAll(async ({ browser }) => {
  if (!vmId) return;
  const context = await browser.newContext();
  await callApi(context, "vm.stop", { vmId }).catch(() => undefined);
  await callApi(context, "vm.delete", { vmId });
  await context.close();
});
