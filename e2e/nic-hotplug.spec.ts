// A NIC hot-plugged in Chromium (issue 13, ADR 0057): a running VM with no network gets one from its
// Network tab; the guest brings the new interface up and leases an address, which the VM page
// shows and which the guest itself printed on its serial console; removing the NIC again takes the
// interface away from the running guest. The guest is never restarted.
import { randomBytes } from "node:crypto";
import { test, expect, callApi, makeTinyVm, shot } from "./fixtures";
import { serialLine, serialRun } from "./serial";

test("a NIC added to a running VM gets an address the page shows and the guest printed, and goes again on removal", async ({
  page,
  makeUser,
  signIn,
  db,
}) => {
  test.setTimeout(240_000);
  const network = await db.network.findUniqueOrThrow({ where: { name: "default" } });
  const vmId = await makeTinyVm(page.context(), db, `hotplug-${randomBytes(3).toString("hex")}`);
  try {
    await callApi(page.context(), "vm.start", { vmId });
    await signIn(page.context(), await makeUser({ role: "Administrator" }));
    await page.goto(`/vms/${vmId}`);
    await page.getByRole("tab", { name: "Serial" }).click();
    await serialLine(page, /^tiny#/);
    await serialRun(page, "X=still-running", "set");

    await page.getByRole("tab", { name: "Network" }).click();
    await expect(page.getByText("No NICs: this VM has no network.")).toBeVisible();
    await page.getByLabel("New NIC on").selectOption(network.id);
    await page.getByRole("button", { name: "Add NIC" }).click();
    await expect(page.locator('tr[data-nic="0"]')).toContainText("default");
    const address = page.getByTestId("nic-0-address");
    await expect(address).toHaveText(/^\d+\.\d+\.\d+\.\d+$/, { timeout: 120_000 });
    const ip = (await address.textContent())!;
    await page.screenshot({ path: shot("nic-hotplug-address") });

    await page.getByRole("tab", { name: "Serial" }).click();
    await serialLine(page, new RegExp(`gh-net: eth0 ${ip.replace(/\./g, "\\.")}$`));
    await serialRun(page, "echo X=[$X]", "same");
    await serialLine(page, /^X=\[still-running\]$/);

    await page.getByRole("tab", { name: "Network" }).click();
    await page.locator('tr[data-nic="0"]').getByRole("button", { name: "Remove NIC" }).click();
    await expect(page.getByText("No NICs: this VM has no network.")).toBeVisible({ timeout: 60_000 });
    await page.getByRole("tab", { name: "Serial" }).click();
    await serialLine(page, /gh-net: eth0 gone$/);
  } finally {
    await callApi(page.context(), "vm.delete", { vmId, force: true });
  }
});
