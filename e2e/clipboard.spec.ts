// The clipboard both ways through a real guest's agent (the tiny guest's ghclip, on QEMU's
// qemu-vdagent), in Chromium: text the guest copies appears in the console, text sent from the
// console reaches the guest, and both still work after the VM is saved and restored (the host
// unplugs the agent's port for the migration). A view-only viewer gets no clipboard.
import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { test, expect, callApi, shot } from "./fixtures";
import { serialLine, serialLines, serialRun } from "./serial";

test.describe.configure({ mode: "serial" });
const vmName = `clip-${randomBytes(3).toString("hex")}`;
let vmId = "";

/** The guest copies `text`; the console's Guest clipboard shows it. */
async function guestCopies(serial: Page, consolePage: Page, text: string) {
  await serial.bringToFront();
  await serialRun(serial, `echo ${text} > /run/ghclip.copy`, `copy${text.length}`);
  await consolePage.bringToFront();
  await expect(consolePage.getByLabel("Guest clipboard")).toHaveValue(text);
}

/** The console sends `text`; the guest's agent has it as what was pasted last. */
async function consoleSends(serial: Page, consolePage: Page, text: string) {
  await consolePage.bringToFront();
  await consolePage.getByLabel("Text for the guest").fill(text);
  await consolePage.getByRole("button", { name: "Send to guest clipboard" }).click();
  await expect(consolePage.getByRole("status", { name: "Clipboard" })).toHaveText("Sent to the guest's clipboard.");
  await serial.bringToFront();
  let asked = 0;
  await expect
    .poll(async () => {
      await serialRun(serial, "echo PASTE=$(cat /run/ghclip.paste 2>/dev/null)", `paste${++asked}x`);
      return (await serialLines(serial)).slice(-6);
    })
    .toContainEqual(`PASTE=${text}`);
}

test("text copied in the guest appears in the console and text sent from the console reaches the guest, before and after a saved state", async ({
  page,
  makeUser,
  signIn,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  await page.goto("/vms/new");
  await page.getByLabel("Name").fill(vmName);
  const tiny = await page.getByLabel("Template", { exact: true }).locator("option", { hasText: "Tiny Linux" }).getAttribute("value");
  await page.getByLabel("Template", { exact: true }).selectOption(tiny!);
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name: vmName })).toBeVisible();
  vmId = page.url().split("/").pop()!;
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByLabel("Clipboard (needs an agent in the guest)").check();
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialLine(page, /^tiny#/);

  const consolePage = await page.context().newPage();
  await consolePage.goto(`/vms/${vmId}`);
  await consolePage.getByRole("tab", { name: "Console" }).click();
  await expect(consolePage.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
  await guestCopies(page, consolePage, "copied-in-the-guest");
  await consoleSends(page, consolePage, "sent-from-the-browser");
  await consolePage.screenshot({ path: shot("console-clipboard"), fullPage: true });

  // A saved state needs the agent's port unplugged (QEMU refuses to migrate with it); after the
  // restore the port is back, the agent reopens it, and the clipboard works again.
  await page.getByRole("group", { name: "Power" }).getByRole("button", { name: "Save state" }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("suspended");
  await page.getByRole("group", { name: "Power" }).getByRole("button", { name: "Restore" }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await guestCopies(page, consolePage, "copied-after-restore");
  await consoleSends(page, consolePage, "sent-after-restore");
  await consolePage.close();
});

test("a view-only viewer is offered no clipboard (the host keeping the guest's clipboard from it is proved in the integration test)", async ({
  browser,
  makeUser,
  signIn,
}) => {
  const observer = await makeUser({ role: "Observer", vmId });
  const viewerContext = await browser.newContext();
  await signIn(viewerContext, observer);
  const viewer = await viewerContext.newPage();
  await viewer.goto(`/vms/${vmId}`);
  await viewer.getByRole("tab", { name: "Console" }).click();
  await expect(viewer.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
  await expect(viewer.getByRole("heading", { name: "Clipboard" })).toHaveCount(0);
  await expect(viewer.getByLabel("Guest clipboard")).toHaveCount(0);
  await viewerContext.close();
  // That the host keeps the guest's clipboard from a view-only connection is proved below the UI,
  // in apps/host/src/clipboard.int.test.ts, with the host's own filter and the real agent.
});

test.afterAll(async ({ browser }) => {
  if (!vmId) return;
  const context = await browser.newContext();
  await callApi(context, "vm.stop", { vmId }).catch(() => undefined);
  await callApi(context, "vm.delete", { vmId });
  await context.close();
});
