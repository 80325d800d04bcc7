// A nat network made in the console, a VM put on it in the New VM form, its DHCP address on the VM
// page and in the VM list, and a port forward that reaches the guest's web server. The forward is
// tried from inside the stack's own namespace (GUESTHOUSE_NETNS, made by scripts/test.ts), where the
// host service realises its networks: nothing of it exists in the machine's namespace.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { callApi, expect, shot, test } from "./fixtures";

const made: string[] = [];
test.afterAll(async ({ browser }) => {
  const context = await browser.newContext();
  for (const vmId of made) await callApi(context, "vm.delete", { vmId, force: true }).catch(() => undefined);
  await context.close();
});

test("a nat network from the console gives a VM an address, shown on its page and in the list, and a forward reaches it", async ({
  page,
  makeUser,
  signIn,
  db,
}) => {
  test.setTimeout(300_000);
  const netns = process.env.GUESTHOUSE_NETNS;
  expect(netns, "the test stack's host runs in a namespace of its own").toBeTruthy();
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  const tag = randomBytes(3).toString("hex");
  const third = randomBytes(1)[0]!;
  const subnet = `10.66.${third}.0/24`;
  const netName = `nat-${tag}`;

  // The console offered this host a default NAT network when it first saw it (ADR 0037).
  await page.goto("/networks");
  await expect(page.locator('tr[data-network="default"]')).toContainText("(default)");
  const form = page.getByRole("form", { name: "New network" });
  await form.getByLabel("Name").fill(netName);
  await form.getByLabel("Kind").selectOption("nat");
  await form.getByLabel("Subnet").fill(subnet);
  await form.getByRole("button", { name: "Create network" }).click();
  await expect(page.locator(`tr[data-network="${netName}"]`)).toContainText(subnet);
  const net = await db.network.findUniqueOrThrow({ where: { name: netName }, select: { id: true } });

  const vmName = `natvm-${tag}`;
  await page.goto("/vms/new");
  await expect(page.getByText(/Accelerator:/)).toBeVisible();
  await page.getByLabel("Name").fill(vmName);
  const tiny = await page.getByLabel("Template", { exact: true }).locator("option", { hasText: "Tiny Linux" }).getAttribute("value");
  await page.getByLabel("Template", { exact: true }).selectOption(tiny!);
  const networkSelect = page.getByRole("combobox", { name: "Network", exact: true });
  await expect(networkSelect.locator("option").first()).toHaveText(/^Default: default \(10\.\d+\.\d+\.0\/24\)$/);
  await networkSelect.selectOption(net.id);
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name: vmName })).toBeVisible();
  made.push(page.url().split("/").pop()!);

  await page.getByRole("tab", { name: "Network" }).click();
  await expect(page.locator('tr[data-nic="0"]')).toContainText(netName);
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("vm-state")).toHaveText("running");
  const prefix = `10.66.${third}.`;
  const address = page.getByTestId("nic-0-address");
  await expect(address).toHaveText(new RegExp(`^${prefix.replace(/\./g, "\\.")}\\d+$`), { timeout: 180_000 });
  const ip = (await address.textContent())!;

  const hostPort = 20_000 + (randomBytes(2).readUInt16BE() % 20_000);
  const forward = page.getByRole("form", { name: "Port forward to eth0" });
  await forward.getByLabel("Host port").fill(String(hostPort));
  await forward.getByLabel("Guest port").fill("80");
  await forward.getByRole("button", { name: "Add forward" }).click();
  await expect(page.locator('tr[data-nic="0"]')).toContainText(`${hostPort}`);
  await page.screenshot({ path: shot("nat-network-vm") });

  // From the host's own namespace, the forward on the network's gateway address reaches the guest's httpd.
  const page80 = execFileSync("ip", ["netns", "exec", netns!, "curl", "-s", "--max-time", "10", `http://${prefix}1:${hostPort}/`], {
    encoding: "utf8",
  });
  expect(page80.trim()).toMatch(/^hello from /);

  await page.goto("/vms");
  await expect(page.locator(`tr[data-vm="${vmName}"] [data-testid=vm-addresses]`)).toHaveText(ip);
  await page.screenshot({ path: shot("nat-network-list") });
});
