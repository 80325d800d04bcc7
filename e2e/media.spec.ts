// The ISO library: upload through the browser with a visible progress bar, then boot a VM from it.
import { readFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { test, expect, callApi, shot } from "./fixtures";

test.describe.configure({ mode: "serial" });
let vmId = "";

test("an ISO uploaded from the browser shows progress, lands in the library with its sha256, and boots a VM", async ({
  page,
  makeUser,
  signIn,
  db,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  const grub = await db.media.findFirstOrThrow({ where: { name: { contains: "grub" } }, select: { path: true } });
  // The GRUB rescue CD, padded to 24 MiB (an ISO boots the same with zeros after its end).
  const iso = Buffer.concat([await readFile(grub.path), Buffer.alloc(24 * 1024 * 1024)]);
  const name = `rescue-${randomBytes(3).toString("hex")}.iso`;
  await page.goto("/media");
  // Throttle the upload the way a real network would, so the progress bar has time to be seen.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 8 * 1024 * 1024,
  });
  await page.getByLabel("Upload an ISO or disk image").setInputFiles({ name, mimeType: "application/octet-stream", buffer: iso });
  await expect(page.getByRole("progressbar", { name: "Upload progress", exact: true })).toBeVisible();
  await page.screenshot({ path: shot("media-uploading") });
  await expect(page.getByRole("status")).toHaveText(`${name} was added to the library`, { timeout: 60_000 });
  const row = page.locator(`tr[data-media="${name}"]`);
  await expect(row).toBeVisible();
  const stored = await db.media.findUniqueOrThrow({ where: { name } });
  const { createHash } = await import("node:crypto");
  expect(stored.sha256).toBe(createHash("sha256").update(iso).digest("hex"));
  expect(Number(stored.sizeBytes)).toBe(iso.length);

  await page.goto("/vms/new");
  await page.getByLabel("Name").fill(`from-${name.replace(".iso", "")}`);
  await page.getByRole("radio", { name: "An ISO from the library" }).check();
  const value = await page.getByLabel("ISO", { exact: true }).locator("option", { hasText: name }).getAttribute("value");
  await page.getByLabel("ISO", { exact: true }).selectOption(value!);
  await page.getByLabel("RAM (MiB)").fill("64");
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name: `from-${name.replace(".iso", "")}` })).toBeVisible();
  vmId = page.url().split("/").pop()!;
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await page.getByRole("tab", { name: "Console" }).click();
  await expect(page.getByRole("status").filter({ hasText: "connected" })).toBeVisible();
  // GRUB draws its menu with a full-width highlighted entry: a pixel row that is mostly lit,
  // which the BIOS's text screen before it never has.
  await expect
    .poll(
      () =>
        page.locator("[data-testid=vnc-screen] canvas").evaluate((c: HTMLCanvasElement) => {
          const { data, width, height } = c.getContext("2d")!.getImageData(0, 0, c.width, c.height);
          let best = 0;
          for (let y = 0; y < height; y++) {
            let lit = 0;
            for (let x = 0; x < width; x++) {
              const i = (y * width + x) * 4;
              if (data[i]! + data[i + 1]! + data[i + 2]! > 300) lit++;
            }
            best = Math.max(best, lit / width);
          }
          return best;
        }),
      { timeout: 60_000 },
    )
    .toBeGreaterThan(0.5);
  await page.screenshot({ path: shot("vm-from-uploaded-iso") });

  // While attached, the file cannot be deleted.
  await page.goto("/media");
  await page.locator(`tr[data-media="${name}"]`).getByRole("button", { name: "Delete" }).click();
  const confirm = page.getByRole("alertdialog", { name: `Delete '${name}'?` });
  await confirm.getByRole("button", { name: "Delete file" }).click();
  await expect(confirm.getByRole("alert").filter({ hasText: "is attached to VM" })).toBeVisible();
});

test("a name with path traversal is refused and nothing is written", async ({ page, makeUser, signIn }) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  const res = await page.request.post(`/api/media/upload?name=${encodeURIComponent("../../etc/evil.iso")}`, { data: Buffer.from("x") });
  expect(res.status()).toBe(400);
  expect((await res.json()).error).toContain("File names may use letters");
});

test.afterAll(async ({ browser }) => {
  if (!vmId) return;
  const context = await browser.newContext();
  await callApi(context, "vm.stop", { vmId }).catch(() => undefined);
  await callApi(context, "vm.delete", { vmId });
  await context.close();
});
