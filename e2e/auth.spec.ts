import { test, expect, shot } from "./fixtures";

test("a user signs in with e-mail and password, lands on the dashboard, and signs out", async ({ page, makeUser, db }) => {
  const user = await makeUser({ role: "Administrator" });
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("E-mail").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByText(/cores/)).toBeVisible();
  const cookie = (await page.context().cookies()).find((c) => c.name === "gh_session");
  expect(cookie?.httpOnly).toBe(true);
  await page.screenshot({ path: shot("dashboard") });

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  // The session is revoked on the server, not just forgotten by the browser.
  expect(await db.session.count({ where: { userId: user.id } })).toBe(0);
  await page.context().addCookies([{ ...cookie!, expires: -1 }]);
  await page.goto("/vms");
  await expect(page).toHaveURL(/\/login$/);
});

test("repeated wrong passwords lock the account with a clear wait time, and are audited", async ({ page, makeUser, db }) => {
  const user = await makeUser({ role: "Observer" });
  await page.goto("/login");
  for (let i = 0; i < 5; i++) {
    await page.getByLabel("E-mail").fill(user.email);
    await page.getByLabel("Password").fill("wrong-password");
    const answered = page.waitForResponse(/auth\.login/);
    await page.getByRole("button", { name: "Sign in" }).click();
    await answered;
    await expect(page.getByRole("form", { name: "Sign in" }).getByRole("alert")).toHaveText("Wrong e-mail or password");
  }
  // Even the right password is refused now.
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("form", { name: "Sign in" }).getByRole("alert")).toHaveText(/Too many attempts, try again in \d+ s/);
  const failures = await db.auditEvent.count({ where: { actorName: user.email, action: "auth.login", outcome: "failure" } });
  expect(failures).toBe(5);
  expect(await db.auditEvent.count({ where: { actorName: user.email, action: "auth.login", outcome: "denied" } })).toBe(1);
});

test("a mutation from another origin is refused (CSRF)", async ({ request, makeUser }) => {
  const user = await makeUser();
  const res = await request.post("/api/trpc/auth.login", {
    headers: { origin: "https://evil.example", "content-type": "application/json" },
    data: { json: { email: user.email, password: user.password } },
  });
  expect(res.status()).toBe(403);
});
