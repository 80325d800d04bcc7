// Snapshots and undo disks through the console, on a real tiny Linux guest with a disk.
import { randomBytes } from "node:crypto";
import { test, expect, callApi, shot } from "./fixtures";
import { serialLine, serialLines, serialRun } from "./serial";

test.describe.configure({ mode: "serial" });
const vmName = `snap-${randomBytes(3).toString("hex")}`;
let vmId = "";

test("a snapshot taken in the console brings back RAM and disk contents when reverted", async ({ page, makeUser, signIn }) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  await page.goto("/vms/new");
  await page.getByLabel("Name").fill(vmName);
  const tiny = await page.getByLabel("Template", { exact: true }).locator("option", { hasText: "Tiny Linux" }).getAttribute("value");
  await page.getByLabel("Template", { exact: true }).selectOption(tiny!);
  await page.getByLabel("Disk (GiB, 0 for none)").fill("0.0625");
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name: vmName })).toBeVisible();
  vmId = page.url().split("/").pop()!;
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialLine(page, /^tiny#/);
  await serialRun(page, "X=ram-one; echo disk-one | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync", "w1");

  await page.getByRole("tab", { name: "Snapshots" }).click();
  await page.getByLabel("Snapshot name").fill("before-change");
  await page.getByRole("button", { name: "Take snapshot" }).click();
  await expect(page.locator('[data-snapshot="before-change"]')).toContainText("you are here");
  await expect(page.locator('[data-snapshot="before-change"]')).toContainText("with RAM");
  // The Tasks panel at the bottom of the page shows the snapshot's task, its progress and its log.
  const task = page.getByRole("table", { name: "Recent tasks" }).locator('tr[data-task="snapshot.take"]').first();
  await expect(task).toHaveAttribute("data-state", "succeeded");
  await expect(task).toContainText("100%");
  await task.getByRole("button", { name: "snapshot.take" }).click();
  const log = page.getByRole("list", { name: "snapshot.take log" });
  await expect(log).toContainText("taking 'before-change' with RAM");
  await expect(log).toContainText("recording it in the tree");
  await expect(log).toContainText("done");
  await page.screenshot({ path: shot("tasks-panel"), fullPage: true });

  await page.getByRole("tab", { name: "Serial" }).click();
  await serialRun(page, "X=ram-two; echo disk-two | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync", "w2");
  await page.getByRole("tab", { name: "Snapshots" }).click();
  await page.locator('[data-snapshot="before-change"]').getByRole("button", { name: "Revert" }).click();
  await page.getByRole("alertdialog", { name: "Revert to snapshot 'before-change'?" }).getByRole("button", { name: "Revert" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Reverting" })).toHaveCount(0, { timeout: 60_000 });
  await page.screenshot({ path: shot("vm-snapshots") });

  await page.getByRole("tab", { name: "Serial" }).click();
  await serialRun(page, "echo 3 > /proc/sys/vm/drop_caches; echo ram=$X; echo disk=$(head -c 8 /dev/vda)", "r1");
  const lines = await serialLines(page);
  expect(lines).toContainEqual("ram=ram-one");
  expect(lines).toContainEqual("disk=disk-one");
  expect(lines).not.toContainEqual("ram=ram-two");
});

test.afterAll(async ({ browser }) => {
  if (!vmId) return;
  const context = await browser.newContext();
  await callApi(context, "vm.stop", { vmId }).catch(() => undefined);
  await callApi(context, "vm.delete", { vmId });
  await context.close();
});
