// Access re-checked on an open console (ADR 0062): a user watching a VM's screen loses it within
// the re-check bound once an admin revokes their grant, and is told why; the console does not
// connect again.
import { randomBytes } from "node:crypto";
import { test, expect, callApi, makeTinyVm, shot } from "./fixtures";
import { consoleStatuses, recordConsoleStatus } from "./console-status";

test("a user's open console closes within 3 s of their grant being revoked, saying why", async ({ page, makeUser, signIn, db }) => {
  const vmId = await makeTinyVm(page.context(), db, `revoke-${randomBytes(3).toString("hex")}`);
  try {
    await callApi(page.context(), "vm.start", { vmId });
    const user = await makeUser({ role: "Operator", vmId });
    await signIn(page.context(), user);
    await page.goto(`/vms/${vmId}`);
    await page.getByRole("tab", { name: "Console" }).click();
    await expect(page.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
    await recordConsoleStatus(page);

    await db.accessGrant.deleteMany({ where: { userId: user.id, vmId } });
    const revokedAt = await page.evaluate(() => performance.now());
    const reason = "you no longer have the 'vm.console' permission here";
    await expect.poll(async () => (await consoleStatuses(page)).map((e) => e.text).join(" | ")).toContain(reason);
    const told = (await consoleStatuses(page)).find((e) => e.text.includes(reason));
    expect(told, JSON.stringify(await consoleStatuses(page))).toBeDefined();
    expect(told!.t - revokedAt).toBeLessThan(3000);
    await page.screenshot({ path: shot("live-access-revoked") });
    // Final: the console says so and does not try again.
    await expect(page.getByRole("toolbar", { name: "Console" }).getByRole("status")).toHaveText(
      `disconnected: your access was changed: ${reason}`,
    );
    await expect(page.getByRole("status").filter({ hasText: /^connected$/ })).toHaveCount(0);
  } finally {
    await callApi(page.context(), "vm.delete", { vmId, force: true });
  }
});
