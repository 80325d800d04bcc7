// Templates with RAM state and instant clones, and undo disks, through the console on real guests.
import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { test, expect, callApi, shot } from "./fixtures";
import { serialLine, serialLines, serialRun } from "./serial";

test.describe.configure({ mode: "serial" });
const suffix = randomBytes(3).toString("hex");
const made: string[] = [];
let templateId = "";

async function createTinyVm(page: Page, name: string): Promise<string> {
  await page.goto("/vms/new");
  await page.getByLabel("Name").fill(name);
  const tiny = await page.getByLabel("Template", { exact: true }).locator("option", { hasText: "Tiny Linux" }).getAttribute("value");
  await page.getByLabel("Template", { exact: true }).selectOption(tiny!);
  await page.getByLabel("Disk (GiB, 0 for none)").fill("0.03125");
  // No NIC: an instant clone of a RAM template with NICs is refused (its RAM holds the template's MACs).
  await page.getByRole("combobox", { name: "Network", exact: true }).selectOption("none");
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  const id = page.url().split("/").pop()!;
  made.push(id);
  return id;
}

test("a running VM becomes a RAM template; its instant clone runs at once and answers on serial", async ({
  page,
  makeUser,
  signIn,
  db,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  await createTinyVm(page, `base-${suffix}`);
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialLine(page, /^tiny#/);
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByLabel("Template name").fill(`tpl-${suffix}`);
  await page.getByRole("button", { name: "Make template (with RAM)" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Make template (with RAM)" }).click();
  await expect(page).toHaveURL(/\/templates$/);
  const row = page.locator(`tr[data-template="tpl-${suffix}"]`);
  await expect(row).toContainText("disk + RAM state");
  templateId = (await db.template.findUniqueOrThrow({ where: { name: `tpl-${suffix}` } })).id;

  await row.getByLabel("Name").fill(`clone-${suffix}`);
  const started = Date.now();
  await row.getByRole("button", { name: "Instant clone" }).click();
  await expect(page.getByRole("heading", { name: `clone-${suffix}` })).toBeVisible();
  made.push(page.url().split("/").pop()!);
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  test.info().annotations.push({ type: "instant clone to running (console)", description: `${Date.now() - started} ms` });
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialRun(page, "hostname clone-one; hostname", "c1");
  expect(await serialLines(page)).toContainEqual("clone-one");
  await page.screenshot({ path: shot("instant-clone") });

  // The template cannot go while the clone depends on it.
  await page.goto("/templates");
  await page.locator(`tr[data-template="tpl-${suffix}"]`).getByRole("button", { name: "Delete" }).click();
  const confirm = page.getByRole("alertdialog", { name: `Delete template 'tpl-${suffix}'?` });
  await confirm.getByRole("button", { name: "Delete template" }).click();
  await expect(confirm.getByRole("alert").filter({ hasText: `is used by 'clone-${suffix}'` })).toBeVisible();
});

test("an undo disk's changes are dropped when the user chooses Discard after power-off", async ({ page, makeUser, signIn }) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  await createTinyVm(page, `undo-${suffix}`);
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByLabel("Run on an undo disk").click(); // saved at once; the box follows the server
  await expect(page.getByLabel("Run on an undo disk")).toBeChecked();
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialLine(page, /^tiny#/);
  await serialRun(page, "echo undo-test | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync", "u1");
  await page.getByRole("button", { name: "Power off" }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("stopped");
  const choice = page.getByRole("region", { name: "Undo disk" });
  await expect(choice).toContainText("This VM ran on an undo disk");
  await page.screenshot({ path: shot("undo-choice") });
  await choice.getByRole("button", { name: /^Discard/ }).click();
  const discard = page.getByRole("alertdialog", { name: "Discard the changes on the undo disk?" });
  await discard.getByRole("button", { name: "Cancel" }).click();
  await expect(choice).toContainText("This VM ran on an undo disk"); // still asking
  await choice.getByRole("button", { name: /^Discard/ }).click();
  await discard.getByRole("button", { name: "Discard changes" }).click();
  await expect(choice).toHaveCount(0);

  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await page.reload(); // a fresh terminal for the new boot
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialRun(page, '[ "$(head -c 9 /dev/vda)" = undo-test ] && echo kept=yes || echo kept=no', "u2");
  const lines = await serialLines(page);
  expect(lines).toContainEqual("kept=no");
  expect(lines).not.toContainEqual("kept=yes");
});

test.afterAll(async ({ browser }) => {
  const context = await browser.newContext();
  for (const vmId of made.reverse()) {
    await callApi(context, "vm.stop", { vmId }).catch(() => undefined);
    await callApi(context, "vm.delete", { vmId }).catch(() => undefined);
  }
  if (templateId) await callApi(context, "template.delete", { templateId }).catch(() => undefined);
  await context.close();
});
