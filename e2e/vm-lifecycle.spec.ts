// The main path of the product, with a real tiny Linux guest: create from a template, start, watch
// it run without reloading, use its console and serial port; then what other roles may and may not do.
import { test, expect, callApi, shot, typeLikeAPerson } from "./fixtures";
import { serialLine, serialRun } from "./serial";
import { randomBytes } from "node:crypto";

test.describe.configure({ mode: "serial" });

const vmName = `tiny-${randomBytes(3).toString("hex")}`;
let vmId = "";

test("an admin creates a tiny Linux VM from its template, starts it, and sees it running without reloading", async ({
  page,
  makeUser,
  signIn,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  // From the Templates page: its "New VM…" link opens the form with that template chosen.
  await page.goto("/templates");
  await page.getByRole("row").filter({ hasText: "Tiny Linux" }).getByRole("link", { name: "New VM…" }).click();
  await expect(page.getByRole("heading", { name: "New virtual machine" })).toBeVisible();
  const tiny = await page.getByLabel("Template", { exact: true }).locator("option", { hasText: "Tiny Linux" }).getAttribute("value");
  await expect(page.getByLabel("Template", { exact: true })).toHaveValue(tiny!);
  await page.getByLabel("Name").fill(vmName);
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name: vmName })).toBeVisible();
  vmId = page.url().split("/").pop()!;
  await expect(page.getByTestId("vm-state")).toHaveText("stopped");

  // The list is open in a second tab; it must change by itself when the VM starts.
  const list = await page.context().newPage();
  await list.goto("/vms");
  const row = list.locator(`tr[data-vm="${vmName}"]`);
  await expect(row.getByTestId("vm-state")).toHaveText("stopped");
  await expect(list.getByText("● live")).toBeVisible();
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(row.getByTestId("vm-state")).toHaveText("running");
  await list.screenshot({ path: shot("vm-list") });
  await list.close();
});

test("the admin types into the guest through noVNC and the guest prints the answer on its serial port", async ({
  page,
  makeUser,
  signIn,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  await page.goto(`/vms/${vmId}`);
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialLine(page, /^tiny#/);
  const serial = page;
  const consolePage = await page.context().newPage();
  await consolePage.goto(`/vms/${vmId}`);
  await consolePage.getByRole("tab", { name: "Console" }).click();
  await expect(consolePage.getByRole("status").filter({ hasText: "connected" })).toBeVisible();
  await consolePage.locator("[data-testid=vnc-screen] canvas").click();
  await typeLikeAPerson(consolePage, "echo $((6*7)) > /dev/ttyS0\n");
  await consolePage.screenshot({ path: shot("vm-console") });
  // xterm.js paints on animation frames, which a background tab does not get.
  await serial.bringToFront();
  // The serial shell's own prompt may sit at the start of that line.
  await serialLine(serial, /^(tiny# )?42$/);
  await expect(consolePage.getByLabel("Display figures")).toContainText("updates/s");
  await consolePage.close();
});

test("the Special keys menu sends Ctrl-Alt-F2, which a browser cannot, and the guest switches to its second terminal", async ({
  page,
  makeUser,
  signIn,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  await page.goto(`/vms/${vmId}`);
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialLine(page, /^tiny#/);
  const consolePage = await page.context().newPage();
  await consolePage.goto(`/vms/${vmId}`);
  await consolePage.getByRole("tab", { name: "Console" }).click();
  await expect(consolePage.getByRole("status").filter({ hasText: "connected" })).toBeVisible();
  // By keyboard, as the menu must work without a mouse: open, into the submenu, pick F2.
  await consolePage.getByRole("button", { name: "Special keys" }).focus();
  await consolePage.keyboard.press("Enter");
  await expect(consolePage.getByRole("menu")).toBeVisible();
  await consolePage.getByRole("menuitem", { name: /Ctrl-Alt-F1…F12/ }).click();
  await consolePage.getByRole("menuitem", { name: "Ctrl-Alt-F2", exact: true }).click();
  await expect(consolePage.getByRole("menu")).toHaveCount(0);
  await consolePage.screenshot({ path: shot("vm-console-special-keys") });
  await page.bringToFront();
  // The kernel names the foreground virtual terminal; the typed command shows only its text.
  await serialRun(page, "echo VT=$(cat /sys/class/tty/tty0/active)", "vt");
  await serialLine(page, /^VT=tty2$/);
  // And back, by mouse, so the later tests find the shell they expect on the screen.
  await consolePage.bringToFront();
  await consolePage.getByRole("button", { name: "Special keys" }).click();
  await consolePage.getByRole("menuitem", { name: /Ctrl-Alt-F1…F12/ }).click();
  await consolePage.getByRole("menuitem", { name: "Ctrl-Alt-F1", exact: true }).click();
  await page.bringToFront();
  await serialRun(page, "echo VT=$(cat /sys/class/tty/tty0/active)", "back");
  await serialLine(page, /^VT=tty1$/);
  await consolePage.close();
});

test.afterAll(async ({ browser }) => {
  if (!vmId) return;
  const context = await browser.newContext();
  await callApi(context, "vm.stop", { vmId }).catch(() => undefined);
  await callApi(context, "vm.delete", { vmId });
  await context.close();
});

test("a view-only viewer sees the screen change, but its typing never reaches the guest", async ({ browser, page, makeUser, signIn }) => {
  const observer = await makeUser({ role: "Observer", vmId });
  const viewerContext = await browser.newContext();
  await signIn(viewerContext, observer);
  const viewer = await viewerContext.newPage();
  await viewer.goto(`/vms/${vmId}`);
  await viewer.getByRole("tab", { name: "Console" }).click();
  await expect(viewer.getByRole("status").filter({ hasText: "connected" })).toBeVisible();
  const screen = viewer.locator("[data-testid=vnc-screen] canvas");
  const before = await screen.screenshot();
  // The observer types a command that would print 45 on the serial port.
  await screen.click();
  await typeLikeAPerson(viewer, "echo $((5*9)) > /dev/ttyS0\n");

  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  await page.goto(`/vms/${vmId}`);
  await page.getByRole("tab", { name: "Serial" }).click();
  await serialLine(page, /^tiny#/);
  const controller = await page.context().newPage();
  await controller.goto(`/vms/${vmId}`);
  await controller.getByRole("tab", { name: "Console" }).click();
  await expect(controller.getByRole("status").filter({ hasText: "connected" })).toBeVisible();
  await controller.locator("[data-testid=vnc-screen] canvas").click();
  await typeLikeAPerson(controller, "echo $((7*8)) > /dev/ttyS0\n");
  await page.bringToFront();
  await serialLine(page, /^(tiny# )?56$/);
  // The observer's keys were sent before the admin's; had any reached the guest, 45 would be there.
  const lines = (await page.locator(".xterm-rows").innerText()).split("\n").map((l) => l.replace(/\u00a0/g, " ").trim());
  expect(lines.some((l) => /(^|# )45$/.test(l))).toBe(false);
  // And the observer watched the admin's command appear.
  await viewer.bringToFront();
  await expect.poll(async () => Buffer.compare(await screen.screenshot(), before) !== 0).toBe(true);
  await viewer.screenshot({ path: shot("vm-console-view-only") });
  await viewerContext.close();
  await controller.close();
});

test("one controller at a time: a second operator watches until they request control, then the first one watches", async ({
  browser,
  makeUser,
  signIn,
}) => {
  const [a, b] = [await makeUser({ role: "Operator", vmId }), await makeUser({ role: "Operator", vmId })];
  const open = async (user: typeof a) => {
    const context = await browser.newContext();
    await signIn(context, user);
    const page = await context.newPage();
    await page.goto(`/vms/${vmId}`);
    await page.getByRole("tab", { name: "Console" }).click();
    return page;
  };
  const first = await open(a);
  await expect(first.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
  await expect(first.getByLabel("Mode")).toHaveValue("control");

  const second = await open(b);
  await expect(second.getByRole("status").filter({ hasText: `${a.email} has control of this console` })).toBeVisible();
  await expect(second.getByLabel("Mode")).toHaveValue("view");
  await expect(second.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();

  await second.getByRole("button", { name: "Request control" }).click();
  await expect(second.getByLabel("Mode")).toHaveValue("control");
  await expect(second.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
  await first.bringToFront();
  await expect(first.getByRole("status").filter({ hasText: `${b.email} has control of this console` })).toBeVisible();
  await expect(first.getByLabel("Mode")).toHaveValue("view");
  await expect(first.getByRole("listitem").filter({ hasText: `${b.email} · control` })).toBeVisible();
  await first.screenshot({ path: shot("console-handoff") });
  await first.context().close();
  await second.context().close();
});

test("an Observer sees the VM but no power buttons, and a direct stop call is FORBIDDEN and audited", async ({
  page,
  makeUser,
  signIn,
  db,
}) => {
  const observer = await makeUser({ role: "Observer", vmId });
  await signIn(page.context(), observer);
  await page.goto("/vms");
  await expect(page.locator(`tr[data-vm="${vmName}"]`)).toBeVisible();
  await page.getByRole("link", { name: vmName }).click();
  await expect(page.getByRole("heading", { name: vmName })).toBeVisible();
  await expect(page.getByRole("group", { name: "Power" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /Shut down|Power off|Start/ })).toHaveCount(0);
  await expect(page.getByRole("tab", { name: "Settings" })).toHaveCount(0);
  await expect(page.getByRole("tab", { name: "Serial" })).toHaveCount(0);

  const res = await page.request.post("/api/trpc/vm.stop", { data: { json: { vmId } } });
  expect(res.status()).toBe(403);
  expect(JSON.stringify(await res.json())).toContain("You need the 'vm.power' permission on VM");
  const denial = await db.auditEvent.findFirst({ where: { actorId: observer.id, action: "vm.stop", outcome: "denied" } });
  expect(denial?.vmId).toBe(vmId);
  await expect(page.getByTestId("vm-state")).toHaveText("running");
});

test("a user with no grant does not see the VM at all", async ({ page, makeUser, signIn }) => {
  await signIn(page.context(), await makeUser());
  await page.goto("/vms");
  await expect(page.getByText("No virtual machines yet.")).toBeVisible();
  await expect(page.locator(`tr[data-vm="${vmName}"]`)).toHaveCount(0);
  const res = await page.request.get(`/api/trpc/vm.get?input=${encodeURIComponent(JSON.stringify({ json: { vmId } }))}`);
  expect(res.status()).toBe(403);
});

test("a display ticket works once; a replayed, foreign or missing ticket is refused before reaching the guest", async ({
  page,
  makeUser,
  signIn,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  await page.goto("/");
  const res = await page.request.post("/api/trpc/display.controlTicket", { data: { json: { vmId } } });
  const ticket = (await res.json()).result.data.json.ticket as string;
  const open = (url: string) =>
    page.evaluate(
      (u) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(u);
          ws.binaryType = "arraybuffer";
          ws.onmessage = (e) => {
            resolve(new TextDecoder().decode(e.data as ArrayBuffer).slice(0, 12));
            ws.close();
          };
          ws.onerror = () => resolve("refused");
        }),
      url,
    );
  const base = `ws://${new URL(page.url()).host}/ws/display`;
  expect(await open(`${base}/${vmId}?ticket=${ticket}`)).toBe("RFB 003.008\n");
  expect(await open(`${base}/${vmId}?ticket=${ticket}`)).toBe("refused");
  expect(await open(`${base}/${vmId}`)).toBe("refused");
  const other = (await (await page.request.post("/api/trpc/display.viewTicket", { data: { json: { vmId } } })).json()).result.data.json
    .ticket as string;
  expect(await open(`${base}/some-other-vm?ticket=${other}`)).toBe("refused");
});
