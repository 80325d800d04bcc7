// Several tabs of the console at once, as an admin keeps them open. Each live stream used to be an
// SSE response, and a browser opens at most six HTTP/1.1 connections to one origin across all its
// tabs: with three tabs open (two streams each) a fourth never loaded. The streams now share one
// WebSocket per tab (ADR 0061), so every tab loads and each shows a new VM as it appears.
import { randomBytes } from "node:crypto";
import { test, expect, callApi } from "./fixtures";

test("four tabs of the console all load, and each shows a VM made elsewhere as it appears", async ({ page, makeUser, signIn }) => {
  await signIn(page.context(), await makeUser({ role: "Administrator" }));
  const tabs = [page, ...(await Promise.all([1, 2, 3].map(() => page.context().newPage())))];
  for (const tab of tabs) {
    await tab.goto("/vms", { timeout: 20_000 });
    await expect(tab.getByRole("heading", { name: "Virtual machines" })).toBeVisible();
  }
  const name = `tabs-${randomBytes(3).toString("hex")}`;
  const made = (await callApi(page.context(), "vm.create", { name, source: { kind: "blank" }, diskGiB: 0.01, nics: [] })) as {
    result: { data: { json: { id: string } } };
  };
  try {
    for (const tab of tabs) await expect(tab.getByRole("link", { name, exact: true })).toBeVisible();
  } finally {
    await callApi(page.context(), "vm.delete", { vmId: made.result.data.json.id });
  }
});
