// A network is a grant scope (docs/decisions/0051): an admin lets a user use one network from the
// Networks page's Access panel; that user's New VM form then offers that network and not another,
// and no longer after the grant is revoked. The networks are user-mode ones (nothing on the host).
import { randomBytes } from "node:crypto";
import { test, expect, shot } from "./fixtures";

test("an admin grants the use of one network; the user's New VM form offers it and no other, until it is revoked", async ({
  browser,
  page,
  makeUser,
  signIn,
  db,
}) => {
  const tag = randomBytes(3).toString("hex");
  const host = await db.host.findFirstOrThrow({ where: { name: "local" }, select: { id: true } });
  const lab = await db.network.create({ data: { name: `lab-${tag}`, hostId: host.id, kind: "user" } });
  const office = await db.network.create({ data: { name: `office-${tag}`, hostId: host.id, kind: "user" } });
  const builder = await db.role.create({ data: { name: `Builder ${tag}`, permissions: ["vm.view", "vm.create"] } });
  const user = await makeUser();
  await db.accessGrant.create({ data: { roleId: builder.id, userId: user.id, scope: "global" } });
  try {
    await signIn(page.context(), await makeUser({ role: "Administrator" }));
    await page.goto("/networks");
    await page.locator(`tr[data-network="lab-${tag}"]`).getByRole("button", { name: "Access" }).click();
    const panel = page.getByRole("region", { name: `Access to network 'lab-${tag}'` });
    await panel.getByLabel("User or group").selectOption({ label: user.email });
    // Only roles that mean something on a network are offered.
    await expect(panel.getByLabel("Role").locator("option", { hasText: "Operator" })).toHaveCount(0);
    await panel.getByLabel("Role").selectOption({ label: "Network user" });
    await panel.getByRole("button", { name: "Grant" }).click();
    await expect(panel.getByRole("row").filter({ hasText: user.email })).toContainText("Network user");
    await page.screenshot({ path: shot("network-access") });

    const theirs = await browser.newContext();
    try {
      const userPage = await theirs.newPage();
      await signIn(theirs, user);
      await userPage.goto("/vms/new");
      const networkSelect = userPage.getByRole("combobox", { name: "Network", exact: true });
      await expect(networkSelect.locator("option", { hasText: `lab-${tag}` })).toHaveCount(1);
      await expect(networkSelect.locator("option", { hasText: `office-${tag}` })).toHaveCount(0);
      await userPage.screenshot({ path: shot("network-access-user-form") });

      await panel.getByRole("row").filter({ hasText: user.email }).getByRole("button", { name: "Revoke" }).click();
      await expect(panel.getByRole("row").filter({ hasText: user.email })).toHaveCount(0);
      await userPage.reload();
      await expect(userPage.getByText(/Accelerator:/)).toBeVisible();
      await expect(networkSelect.locator("option", { hasText: `lab-${tag}` })).toHaveCount(0);
    } finally {
      await theirs.close();
    }
  } finally {
    await db.accessGrant.deleteMany({ where: { roleId: builder.id } });
    await db.role.delete({ where: { id: builder.id } });
    await db.network.deleteMany({ where: { id: { in: [lab.id, office.id] } } });
  }
});
