// A console left open follows its guest (issue 12): it stays usable through a reset and a snapshot
// revert, says who powered the VM off, and connects again by itself when the VM starts.
import { randomBytes } from "node:crypto";
import { test, expect, callApi, shot } from "./fixtures";
import { consoleAnswers, serialLine, serialLines, serialRun } from "./serial";

test.describe.configure({ mode: "serial" });
const vmName = `follow-${randomBytes(3).toString("hex")}`;
let vmId = "";

test("an open console stays usable through a guest reset and a snapshot revert", async ({ db, page, makeUser, signIn }) => {
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

  const consolePage = await page.context().newPage();
  await consolePage.goto(`/vms/${vmId}`);
  await consolePage.getByRole("tab", { name: "Console" }).click();
  await consoleAnswers(consolePage, page, 6, 7);

  // A reset from the console's own page: the guest boots again (its shell forgets X), and the
  // same console, never reopened, types into the new boot.
  await serialRun(page, "X=before-reset", "set");
  await consolePage.getByRole("group", { name: "Power" }).getByRole("button", { name: "Reset" }).click();
  await page.bringToFront();
  // Asked until the new boot answers (the reset may land after the first question).
  let asked = 0;
  await expect
    .poll(
      async () => {
        await serialRun(page, "echo X=[$X]", `reset${++asked}x`);
        return (await serialLines(page)).slice(-6);
      },
      { timeout: 90_000 },
    )
    .toContainEqual("X=[]");
  await consoleAnswers(consolePage, page, 3, 11);

  // A RAM snapshot and a revert to it: the guest is back where it was (X again), the console too.
  await serialRun(page, "X=at-snapshot", "snap");
  await callApi(page.context(), "snapshot.take", { vmId, name: "follow" });
  const snapshot = await db.snapshot.findFirstOrThrow({ where: { vmId, name: "follow" }, select: { id: true } });
  await serialRun(page, "X=after-snapshot", "after");
  await callApi(page.context(), "snapshot.revert", { vmId, snapshotId: snapshot.id });
  await serialRun(page, "echo X=[$X]", "revert");
  await serialLine(page, /^X=\[at-snapshot\]$/);
  await consoleAnswers(consolePage, page, 4, 11);
  await consolePage.screenshot({ path: shot("console-after-revert") });
  await consolePage.close();
});

test("after a power off the open console says who did it, and connects again by itself when the VM starts", async ({
  page,
  makeUser,
  signIn,
}) => {
  const admin = await makeUser({ role: "Administrator" });
  await signIn(page.context(), admin);
  await page.goto(`/vms/${vmId}`);
  await page.getByRole("tab", { name: "Console" }).click();
  await expect(page.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
  await page.getByRole("group", { name: "Power" }).getByRole("button", { name: "Power off" }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("stopped");
  await expect(page.getByRole("status", { name: "Console" })).toHaveText(
    `The VM is stopped: the VM was powered off by ${admin.email}. Start it to see its screen.`,
  );
  await page.screenshot({ path: shot("console-powered-off") });
  // QEMU is a new process now; the console tab, still open, connects to it.
  await page.getByRole("group", { name: "Power" }).getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await expect(page.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
});

test.afterAll(async ({ browser }) => {
  if (!vmId) return;
  const context = await browser.newContext();
  await callApi(context, "vm.stop", { vmId }).catch(() => undefined);
  await callApi(context, "vm.delete", { vmId });
  await context.close();
});
