// The Hosts page in Chromium: an admin sees the local host's capacity as its heartbeat reported
// it, makes a one-time join token (shown once, with the command for the new machine; only its hash
// is stored), sees it listed and revokes it (a host that tries it then is refused, and told why),
// and the New VM wizard says where a VM would go.
import { createHash } from "node:crypto";
import { test, expect, shot } from "./fixtures";

test("an admin sees the local host's capacity, makes and revokes a join token, and the wizard shows where a VM will go", async ({
  page,
  makeUser,
  signIn,
  db,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  const local = await db.host.findFirstOrThrow({ where: { name: "local" } });
  await page.goto("/hosts");
  const row = page.locator('tr[data-host="local"]');
  await expect(row.getByTestId("host-state")).toContainText("online");
  await expect(row.getByTestId("host-cpus")).toHaveText(/^[1-9][0-9]*$/);
  await expect(row.getByTestId("host-ram")).toContainText(/[0-9.]+ (MiB|GiB) \/ [0-9.]+ (MiB|GiB)/);
  await expect(row.getByTestId("host-accel")).toHaveText(/KVM|TCG/);
  const reported = await db.host.findUniqueOrThrow({ where: { id: local.id } });
  expect(reported.cores).toBeGreaterThan(0);

  await page.getByRole("button", { name: "Add a host (join token)" }).click();
  const panel = page.getByRole("region", { name: "Join token", exact: true });
  const token = (await panel.getByTestId("join-token").textContent()) ?? "";
  expect(token).toMatch(/^ghj_[A-Za-z0-9_-]{43}$/);
  await expect(panel.getByTestId("join-command")).toContainText(`GUESTHOUSE_JOIN='http`);
  await expect(panel.getByTestId("join-command")).toContainText(`#${token}'`);
  await page.screenshot({ path: shot("hosts-join-token") });
  const stored = await db.hostJoinToken.findUnique({ where: { tokenHash: createHash("sha256").update(token).digest("hex") } });
  expect(stored?.usedAt).toBeNull();
  await panel.getByRole("button", { name: "Done" }).click();
  await expect(panel).toBeHidden();

  // The token is listed (never shown again) and can be revoked; a host that tries it is told so.
  const listed = page.getByRole("region", { name: "Recent join tokens" }).locator(`tr[data-token="${stored!.id}"]`);
  await expect(listed.getByTestId("token-status")).toHaveText("waiting for a host");
  await expect(page.getByRole("region", { name: "Recent join tokens" })).not.toContainText(token);
  await listed.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Revoke token" }).click();
  await expect(listed.getByTestId("token-status")).toContainText("revoked");
  await page.screenshot({ path: shot("hosts-join-token-revoked") });
  const join = await page.request.post("/api/trpc/host.join", {
    data: { json: { token, name: "too-late", url: "http://10.0.0.77:3001" } },
  });
  expect(join.status()).toBe(403);
  expect(await join.text()).toContain("revoked");
  expect(await db.host.findUnique({ where: { name: "too-late" } })).toBeNull();

  await page.goto("/vms/new");
  await expect(page.getByLabel("Host")).toContainText("auto (→ local)");
  await expect(page.getByTestId("placement")).toHaveText("The VM will go to 'local'.");
});
