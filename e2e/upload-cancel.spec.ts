// An upload is a task: the Tasks panel shows its percent from the bytes the console has relayed
// (against the file's Content-Length), and its Cancel button stops it — the task ends "cancelled",
// the host removes its partial file, and nothing is added to the library.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { test, expect, shot } from "./fixtures";

test("an upload's progress shows in the Tasks panel, and its Cancel leaves no file and no library row", async ({
  page,
  makeUser,
  signIn,
  db,
}) => {
  test.setTimeout(120_000);
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  const name = `cancelled-${randomBytes(3).toString("hex")}.iso`;
  const media = join(process.env.GUESTHOUSE_DATA!, "media");
  const before = (await readdir(media).catch(() => [] as string[])).sort();
  await page.goto("/media");
  // 32 MiB at 1 MiB/s: half a minute of upload to watch and cut short.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
  await page
    .getByLabel("Upload an ISO or disk image")
    .setInputFiles({ name, mimeType: "application/octet-stream", buffer: randomBytes(32 * 1024 * 1024) });

  const task = page.getByRole("table", { name: "Recent tasks" }).locator('tr[data-task="media.upload"][data-state="running"]').first();
  // Two figures from the bytes themselves: the console's own steps are only 5 and 90.
  const figures = new Set<number>();
  await expect
    .poll(
      async () => {
        const row = await db.task.findFirst({ where: { kind: "media.upload", state: "running" }, orderBy: { createdAt: "desc" } });
        if (row && row.progress > 5 && row.progress < 90) figures.add(row.progress);
        return figures.size;
      },
      { timeout: 60_000, intervals: [100] },
    )
    .toBeGreaterThanOrEqual(2);
  await expect(task.getByRole("progressbar")).toHaveAttribute("value", /^([6-9]|[1-8][0-9])$/);
  await page.screenshot({ path: shot("upload-progress"), fullPage: true });
  const taskId = (await db.task.findFirstOrThrow({ where: { kind: "media.upload", state: "running" }, orderBy: { createdAt: "desc" } })).id;
  await task.getByRole("button", { name: /^Cancel media\.upload/ }).click();

  const ended = page.locator(`tr[data-task="media.upload"]`).first();
  await expect(ended).toHaveAttribute("data-state", "cancelled");
  await page.screenshot({ path: shot("upload-cancelled"), fullPage: true });
  const done = await db.task.findUniqueOrThrow({ where: { id: taskId } });
  expect(done.state).toBe("cancelled");
  expect(done.progress).toBeLessThan(90);
  expect(await db.media.count({ where: { name } })).toBe(0);
  // The host's partial file goes when the relay is cut; no file of that name was linked in.
  await expect.poll(async () => (await readdir(media).catch(() => [] as string[])).sort(), { timeout: 10_000 }).toEqual(before);
});
