// Networks in the console: the refusals a person sees (bad subnet, overlap, deleting a network in
// use, adding a NIC while running) and a user-mode network with a NIC on a VM that was created with
// "No network". Real nat networks through the console are in nat-network.spec.ts.
import { randomBytes } from "node:crypto";
import { test, expect, shot } from "./fixtures";

test("an admin sees network refusals in words, puts a VM's NIC on a user-mode network, and cannot delete it while used", async ({
  page,
  makeUser,
  signIn,
  db,
}) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  const tag = randomBytes(3).toString("hex");
  const host = await db.host.findFirstOrThrow({ where: { name: "local" }, select: { id: true } });
  // A nat network as its row only: the host is never asked to make it (the overlap is refused first).
  await db.network.create({ data: { name: `lab-${tag}`, hostId: host.id, kind: "nat", bridge: `ghbr${tag}`, subnet: "10.61.0.0/24" } });

  await page.goto("/networks");
  const form = page.getByRole("form", { name: "New network" });
  await form.getByLabel("Name").fill(`bad-${tag}`);
  await form.getByLabel("Subnet").fill("10.61.0.1/24");
  await form.getByRole("button", { name: "Create network" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "subnet: an IPv4 network such as 10.77.0.0/24 (prefix" })).toBeVisible();
  await form.getByLabel("Subnet").fill("10.61.0.128/25");
  await form.getByRole("button", { name: "Create network" }).click();
  await expect(page.getByRole("alert").filter({ hasText: `overlaps network 'lab-${tag}'` })).toBeVisible();

  const netName = `fallback-${tag}`;
  await form.getByLabel("Name").fill(netName);
  await form.getByLabel("Kind").selectOption("user");
  await form.getByRole("button", { name: "Create network" }).click();
  await expect(page.locator(`tr[data-network="${netName}"]`)).toContainText("user");
  await page.screenshot({ path: shot("networks") });

  const vmName = `nic-${tag}`;
  await page.goto("/vms/new");
  // The accelerator line comes from a query: the form is hydrated and will submit through React.
  await expect(page.getByText(/Accelerator:/)).toBeVisible();
  await page.getByLabel("Name").fill(vmName);
  await page.getByRole("radio", { name: "An empty disk" }).check();
  await page.getByRole("combobox", { name: "Network", exact: true }).selectOption("none");
  await page.getByLabel("RAM (MiB)").fill("64");
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name: vmName })).toBeVisible();
  await page.getByRole("tab", { name: "Network" }).click();
  await expect(page.getByText("No NICs: this VM has no network.")).toBeVisible();
  const net = await db.network.findUniqueOrThrow({ where: { name: netName }, select: { id: true } });
  await page.getByLabel("New NIC on").selectOption(net.id);
  await page.getByRole("button", { name: "Add NIC" }).click();
  const nic = page.locator('tr[data-nic="0"]');
  await expect(nic).toContainText(netName);
  await expect(nic).toContainText(/5e(:[0-9a-f]{2}){5}/);
  await expect(nic).toContainText("virtio-net-pci");

  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  // A modern VM takes a second NIC while it runs: hot-plugged, with a MAC of its own.
  await page.getByLabel("New NIC on").selectOption(net.id);
  await page.getByRole("button", { name: "Add NIC" }).click();
  await expect(page.locator('tr[data-nic="1"]')).toContainText(netName);
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  await page.screenshot({ path: shot("vm-network") });

  await page.goto("/networks");
  const row = page.locator(`tr[data-network="${netName}"]`);
  await expect(row).toContainText(vmName);
  await row.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Delete network" }).click();
  await expect(
    page
      .getByRole("alert")
      .filter({ hasText: `Network '${netName}' is in use by '${vmName}': remove their NICs first` })
      .first(),
  ).toBeVisible();
});
