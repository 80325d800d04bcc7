// Maintenance on the Hosts page in Chromium, with the e2e stack's one host: the confirm dialog
// names each guest that would stay and why (here: there is no other host), the evacuation that
// runs lists it with its reason, and leaving maintenance offers to move guests back. A real
// evacuation onto another host, with the console following the guest, is second-host.spec.ts;
// evacuation.int.test.ts covers three hosts.
import { randomBytes } from "node:crypto";
import { test, expect, callApi, shot } from "./fixtures";

test("an admin puts the only host in maintenance: the dialog and the evacuation name the guest that stays, and why", async ({
  page,
  makeUser,
  signIn,
  db,
}) => {
  const name = `maint-${randomBytes(3).toString("hex")}`;
  const created = (await callApi(page.context(), "vm.create", { name, source: { kind: "blank" }, diskGiB: 0.01 })) as {
    result: { data: { json: { id: string } } };
  };
  const vmId = created.result.data.json.id;
  const local = await db.host.findFirstOrThrow({ where: { name: "local" } });
  try {
    await signIn(page.context(), await makeUser({ role: "Administrator" }));
    await page.goto("/hosts");
    const row = page.locator('tr[data-host="local"]');
    await row.getByRole("button", { name: "Enter maintenance…" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Put host 'local' in maintenance?" });
    const preview = dialog.getByTestId("evacuation-preview");
    await expect(preview).toContainText("No guest will move.");
    await expect(preview).toContainText(`${name}: there is no other host`);
    await page.screenshot({ path: shot("maintenance-enter-dialog") });
    await dialog.getByRole("button", { name: "Enter maintenance" }).click();
    await expect(dialog).toBeHidden();

    await expect(row.getByTestId("host-state")).toContainText("maintenance");
    const evac = page.getByTestId("evacuation");
    await expect(evac.getByRole("heading")).toHaveText("Emptying 'local' for maintenance: 0 of 0 moved · succeeded");
    const guest = evac.getByTestId("evacuation-guest").filter({ hasText: name });
    await expect(guest.getByTestId("evacuation-guest-state")).toHaveText("cannot move");
    await expect(guest).toContainText("there is no other host");
    await page.screenshot({ path: shot("maintenance-evacuation") });
    // A host in maintenance takes no new VMs.
    expect((await db.host.findUniqueOrThrow({ where: { id: local.id } })).maintenance).toBe(true);

    await row.getByRole("button", { name: "Leave maintenance…" }).click();
    const leave = page.getByRole("alertdialog", { name: "Take host 'local' out of maintenance?" });
    await expect(leave.getByLabel("Move guests back")).toBeChecked();
    await expect(leave.getByTestId("evacuation-preview")).toContainText("No guest will move back.");
    await page.screenshot({ path: shot("maintenance-leave-dialog") });
    await leave.getByRole("button", { name: "Leave maintenance" }).click();
    await expect(leave).toBeHidden();
    await expect(row.getByTestId("host-state")).not.toContainText("maintenance");
    expect((await db.host.findUniqueOrThrow({ where: { id: local.id } })).maintenance).toBe(false);
  } finally {
    await db.host.update({ where: { id: local.id }, data: { maintenance: false } });
    await callApi(page.context(), "vm.delete", { vmId });
  }
});
