// A start that QEMU refuses says why, in words, on the page and in the VM's activity: never a bare
// "Something went wrong", and never a path from the host's data folder.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { test, expect, callApi, shot } from "./fixtures";

test("a VM whose disk QEMU cannot open shows QEMU's reason when started, and its activity keeps it", async ({ page, makeUser, signIn }) => {
  const name = `broken-${randomBytes(3).toString("hex")}`;
  const created = (await callApi(page.context(), "vm.create", { name, source: { kind: "blank" }, diskGiB: 0.01 })) as {
    result: { data: { json: { id: string } } };
  };
  const vmId = created.result.data.json.id;
  try {
    // Damage the disk behind the console's back, as a failing drive or a careless copy would.
    await writeFile(path.join(process.env.GUESTHOUSE_DATA!, "host", "disks", `${vmId}-d0.qcow2`), "not a disk image\n");
    await signIn(page.context(), await makeUser({ role: "Administrator" }));
    await page.goto(`/vms/${vmId}`);
    await page.getByRole("button", { name: "Start", exact: true }).click();
    const alert = page.getByRole("group", { name: "Power" }).getByRole("alert");
    await expect(alert).toContainText(`VM '${name}' failed to start: QEMU exited during start`);
    await expect(alert).toContainText("Image is not in qcow2 format");
    await expect(alert).not.toContainText("Something went wrong");
    await expect(alert).not.toContainText("/host/");
    await page.screenshot({ path: shot("start-failure") });
    await expect(page.getByTestId("vm-state")).toHaveText("stopped");
    await page.getByRole("tab", { name: "Activity" }).click();
    // The failed task, with its error, in the VM's own task list…
    const tasks = page.getByRole("table", { name: "This VM's tasks" });
    const task = tasks.locator('tr[data-task="vm.start"]').first();
    await expect(task).toHaveAttribute("data-state", "failed");
    await task.getByRole("button", { name: "vm.start" }).click();
    await expect(tasks.getByRole("alert")).toContainText("Image is not in qcow2 format");
    await expect(tasks.getByRole("alert")).not.toContainText("/host/");
    // …and in its events.
    const row = page.getByRole("table", { name: "This VM's events" }).locator("tr", { hasText: "vm.start" }).first();
    await expect(row).toContainText("failure");
    await expect(row).toContainText("Image is not in qcow2 format");
    await expect(row).not.toContainText("/host/");
  } finally {
    await callApi(page.context(), "vm.delete", { vmId });
  }
});
