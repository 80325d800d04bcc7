// A long task in the Tasks panel: a full clone of a template whose 4 GiB disk holds data shows
// qemu-img's own progress as it copies, and its Cancel button stops it — the task ends "cancelled"
// and no clone is left.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { test, expect, callApi, shot } from "./fixtures";

const suffix = randomBytes(3).toString("hex");
let templateId = "";

test.afterAll(async ({ browser }) => {
  const context = await browser.newContext();
  if (templateId) await callApi(context, "template.delete", { templateId }).catch(() => undefined);
  await context.close();
});

test("a full clone shows the copy's progress in the Tasks panel and is cancelled from it", async ({ page, makeUser, signIn, db }) => {
  test.setTimeout(180_000);
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  await page.goto("/vms/new");
  await page.getByLabel("Name").fill(`big-${suffix}`);
  const tiny = await page.getByLabel("Template", { exact: true }).locator("option", { hasText: "Tiny Linux" }).getAttribute("value");
  await page.getByLabel("Template", { exact: true }).selectOption(tiny!);
  await page.getByLabel("Disk (GiB, 0 for none)").fill("4");
  await page.getByRole("combobox", { name: "Network", exact: true }).selectOption("none");
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name: `big-${suffix}` })).toBeVisible();
  const vmId = page.url().split("/").pop()!;

  // Data all through the (stopped) VM's disk, so a full clone has 4 GiB to copy: on a quiet machine
  // 1 GiB copied before the panel had shown a figure from the copy.
  const disk = await db.disk.findFirstOrThrow({ where: { vmId }, select: { id: true } });
  const file = join(process.env.GUESTHOUSE_DATA!, "host", "disks", `${disk.id}.qcow2`);
  const writes = [...Array(8).keys()].flatMap((i) => ["-c", `write -P 0x${(0x30 + i).toString(16)} ${i * 512}M 512M`]);
  await promisify(execFile)("qemu-io", ["-f", "qcow2", ...writes, file]);

  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByLabel("Template name").fill(`bigtpl-${suffix}`);
  await page.getByRole("button", { name: "Make template", exact: true }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Make template", exact: true }).click();
  await expect(page).toHaveURL(/\/templates$/);
  const row = page.locator(`tr[data-template="bigtpl-${suffix}"]`);
  templateId = (await db.template.findUniqueOrThrow({ where: { name: `bigtpl-${suffix}` } })).id;
  await row.getByLabel("Name").fill(`bigclone-${suffix}`);
  await row.getByRole("button", { name: "Full clone" }).click();

  const task = page.getByRole("table", { name: "Recent tasks" }).locator('tr[data-task="template.clone"][data-state="running"]').first();
  // A figure from the copy itself: the console's own steps are only 10 and 90.
  await expect(task.getByRole("progressbar")).toHaveAttribute("value", /^(1[1-9]|[2-8][0-9])$/, { timeout: 60_000 });
  await page.screenshot({ path: shot("task-progress"), fullPage: true });
  const taskId = (await db.task.findFirstOrThrow({ where: { kind: "template.clone", state: "running" }, orderBy: { createdAt: "desc" } }))
    .id;
  await task.getByRole("button", { name: /^Cancel template\.clone/ }).click();

  const ended = page.getByRole("table", { name: "Recent tasks" }).locator('tr[data-task="template.clone"]').first();
  await expect(ended).toHaveAttribute("data-state", "cancelled");
  await ended.getByRole("button", { name: "template.clone" }).click();
  await expect(page.getByRole("list", { name: "template.clone log" })).toContainText("cancel requested by");
  await page.screenshot({ path: shot("task-cancelled"), fullPage: true });
  expect((await db.task.findUniqueOrThrow({ where: { id: taskId } })).state).toBe("cancelled");
  expect(await db.vm.count({ where: { name: `bigclone-${suffix}` } })).toBe(0);
});
