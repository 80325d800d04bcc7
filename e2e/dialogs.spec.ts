// Destructive actions ask first, in real dialogs: cancel keeps the thing, confirm removes it.
// Deleting a VM (typing its name) takes its disks with it; a saved state can be discarded; the
// password reset is a dialog with password fields, and the new password signs in.
import { existsSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { test, expect, callApi, shot } from "./fixtures";

test.describe.configure({ mode: "serial" });
const suffix = randomBytes(3).toString("hex");
const made: string[] = [];

async function createTinyVm(page: Page, name: string): Promise<string> {
  await page.goto("/vms/new");
  await page.getByLabel("Name").fill(name);
  const tiny = await page.getByLabel("Template", { exact: true }).locator("option", { hasText: "Tiny Linux" }).getAttribute("value");
  await page.getByLabel("Template", { exact: true }).selectOption(tiny!);
  await page.getByLabel("Disk (GiB, 0 for none)").fill("0.03125");
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  const id = page.url().split("/").pop()!;
  made.push(id);
  return id;
}

const diskFile = (diskId: string) => path.join(process.env.GUESTHOUSE_DATA!, "host", "disks", `${diskId}.qcow2`);

test("a saved state is discarded only after confirming; a running VM is deleted with its disks after typing its name", async ({
  page,
  makeUser,
  signIn,
  db,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  const name = `gone-${suffix}`;
  const vmId = await createTinyVm(page, name);
  const [disk] = await db.disk.findMany({ where: { vmId }, select: { id: true } });
  expect(existsSync(diskFile(disk!.id))).toBe(true);

  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await page.getByRole("button", { name: "Save state" }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("suspended");
  await page.getByRole("button", { name: "Discard saved state…" }).click();
  const discard = page.getByRole("alertdialog", { name: `Discard the saved state of '${name}'?` });
  await expect(discard).toContainText("anything not yet written to its disks are lost");
  await discard.getByRole("button", { name: "Cancel" }).click();
  await expect(discard).toHaveCount(0);
  await expect(page.getByTestId("vm-state")).toHaveText("suspended");
  await page.getByRole("button", { name: "Discard saved state…" }).click();
  await discard.getByRole("button", { name: "Discard saved state" }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("stopped");
  await expect(page.getByRole("button", { name: "Discard saved state…" })).toHaveCount(0);

  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await page.getByRole("tab", { name: "Settings" }).click();
  const danger = page.getByRole("region", { name: "Danger zone" });
  await danger.getByRole("button", { name: "Delete VM…" }).click();
  const dialog = page.getByRole("alertdialog", { name: `Delete VM '${name}'?` });
  await expect(dialog).toContainText("It is running: it is powered off first");
  const confirm = dialog.getByRole("button", { name: "Power off and delete" });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(`Type ${name} to confirm`).fill(name.slice(0, -1));
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(`Type ${name} to confirm`).fill(name);
  await expect(confirm).toBeEnabled();
  await page.screenshot({ path: shot("vm-delete-confirm") });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("vm-state")).toHaveText("running");

  await danger.getByRole("button", { name: "Delete VM…" }).click();
  await expect(confirm).toBeDisabled(); // the typed name does not survive closing the dialog
  await dialog.getByLabel(`Type ${name} to confirm`).fill(name);
  await confirm.click();
  await expect(page).toHaveURL(/\/vms$/);
  await expect(page.getByText("● live")).toBeVisible();
  await expect(page.locator(`tr[data-vm="${name}"]`)).toHaveCount(0);
  expect(await db.vm.findUnique({ where: { id: vmId } })).toBeNull();
  expect(existsSync(diskFile(disk!.id))).toBe(false);
  made.splice(made.indexOf(vmId), 1);
});

test("snapshot revert, rename and delete go through dialogs: cancel keeps the snapshot, confirm acts", async ({
  page,
  makeUser,
  signIn,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  await createTinyVm(page, `snaps-${suffix}`);
  await page.getByRole("tab", { name: "Snapshots" }).click();
  for (const snap of ["first", "second"]) {
    await page.getByLabel("Snapshot name").fill(snap);
    await page.getByRole("button", { name: "Take snapshot" }).click();
    await expect(page.locator(`[data-snapshot="${snap}"]`)).toContainText("you are here");
    await expect(page.getByLabel("Snapshot name")).toHaveValue(""); // the form clears itself once the list has refreshed
  }
  const first = page.locator('[data-snapshot="first"]').first();

  await first.getByRole("button", { name: "Revert" }).first().click();
  const revert = page.getByRole("alertdialog", { name: "Revert to snapshot 'first'?" });
  await expect(revert).toContainText("The VM's current state since snapshot 'second'");
  await expect(revert).toContainText("is discarded");
  await revert.getByRole("button", { name: "Cancel" }).click();
  await expect(page.locator('[data-snapshot="second"]')).toContainText("you are here");
  await first.getByRole("button", { name: "Revert" }).first().click();
  await revert.getByRole("button", { name: "Revert" }).click();
  await expect(revert).toHaveCount(0);
  await expect(page.locator('[data-snapshot="second"]')).not.toContainText("you are here");
  await expect(first.locator(".snap").first()).toContainText("you are here");

  await page.locator('[data-snapshot="second"]').getByRole("button", { name: "Rename" }).click();
  const rename = page.getByRole("dialog", { name: "Rename snapshot 'second'" });
  await rename.getByLabel("Name").fill("bad/name");
  await rename.getByRole("button", { name: "Save" }).click();
  await expect(rename.getByRole("alert")).toHaveText("Use letters, digits, spaces, '.', '_' and '-'");
  await rename.getByLabel("Name").fill("second renamed");
  await rename.getByLabel("Description").fill("after the change");
  await rename.getByRole("button", { name: "Save" }).click();
  await expect(rename).toHaveCount(0);
  const renamed = page.locator('[data-snapshot="second renamed"]');
  await expect(renamed).toContainText("after the change");

  await renamed.getByRole("button", { name: "Delete" }).click();
  const remove = page.getByRole("alertdialog", { name: "Delete snapshot 'second renamed'?" });
  await remove.getByRole("button", { name: "Cancel" }).click();
  await expect(renamed).toHaveCount(1);
  await renamed.getByRole("button", { name: "Delete" }).click();
  await remove.getByRole("button", { name: "Delete snapshot" }).click();
  await expect(renamed).toHaveCount(0);
  await expect(first).toHaveCount(1);
});

test("deleting a template or a library file asks first: cancel keeps it, confirm removes it", async ({ page, makeUser, signIn, db }) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  const host = await db.host.findUniqueOrThrow({ where: { name: "local" } });
  const tplName = `recipe-${suffix}`;
  await db.template.create({ data: { name: tplName, hostId: host.id, kernelBoot: { kernel: "/nowhere/vmlinuz", cmdline: "" } } });
  await page.goto("/templates");
  const row = page.locator(`tr[data-template="${tplName}"]`);
  await row.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("alertdialog", { name: `Delete template '${tplName}'?` });
  await expect(dialog).toContainText("The boot recipe leaves the New VM wizard");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row).toHaveCount(1);
  await row.getByRole("button", { name: "Delete" }).click();
  await dialog.getByRole("button", { name: "Delete template" }).click();
  await expect(row).toHaveCount(0);
  expect(await db.template.findUnique({ where: { name: tplName } })).toBeNull();

  const file = `scratch-${suffix}.img`;
  const upload = await page.request.post(`/api/media/upload?name=${file}`, { data: Buffer.alloc(64 * 1024) });
  expect(upload.ok()).toBe(true);
  await page.goto("/media");
  const media = page.locator(`tr[data-media="${file}"]`);
  await media.getByRole("button", { name: "Delete" }).click();
  const mediaDialog = page.getByRole("alertdialog", { name: `Delete '${file}'?` });
  await expect(mediaDialog).toContainText("is deleted from the library and from the host");
  await mediaDialog.getByRole("button", { name: "Cancel" }).click();
  await expect(media).toHaveCount(1);
  await media.getByRole("button", { name: "Delete" }).click();
  await mediaDialog.getByRole("button", { name: "Delete file" }).click();
  await expect(media).toHaveCount(0);
  expect(await db.media.findUnique({ where: { name: file } })).toBeNull();
});

test("an admin resets a password in a dialog with password fields, and the new password signs in", async ({
  browser,
  page,
  makeUser,
  signIn,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  const user = await makeUser({ role: "Observer" });
  await page.goto("/users");
  await page.getByRole("row").filter({ hasText: user.email }).getByRole("button", { name: "Reset password" }).click();
  const dialog = page.getByRole("dialog", { name: `Reset the password of ${user.email}` });
  const field = dialog.getByLabel("New password", { exact: true });
  await expect(field).toHaveAttribute("type", "password");
  await expect(dialog.getByLabel("New password again")).toHaveAttribute("type", "password");
  await expect(dialog).toContainText("At least 12 characters.");
  await field.fill("too-short");
  await dialog.getByLabel("New password again").fill("too-short");
  await dialog.getByRole("button", { name: "Set password" }).click();
  await expect(dialog.getByRole("alert")).toHaveText("Use at least 12 characters");
  const next = `new-pw-${randomBytes(6).toString("hex")}`;
  await field.fill(next);
  await dialog.getByLabel("New password again").fill(next);
  await expect(dialog.getByText(next)).toHaveCount(0); // typed, never shown
  await page.screenshot({ path: shot("password-reset-dialog") });
  await dialog.getByRole("button", { name: "Set password" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: `Password of ${user.email} reset` })).toHaveText(
    `Password of ${user.email} reset; their sessions were ended.`,
  );

  const context = await browser.newContext();
  const login = await context.newPage();
  await login.goto("/login");
  await login.getByLabel("E-mail").fill(user.email);
  await login.getByLabel("Password").fill(next);
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(login.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await context.close();
});

test.afterAll(async ({ browser }) => {
  const context = await browser.newContext();
  for (const vmId of made) await callApi(context, "vm.delete", { vmId, force: true }).catch(() => undefined);
  await context.close();
});
