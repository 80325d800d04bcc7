// The VM page's console badge over time: what it said, and when (the page's clock).
import { expect, type Page } from "@playwright/test";

/** Records each text the console's connection badge shows, with the page's clock. */
export async function recordConsoleStatus(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log: { t: number; text: string }[] = [];
    (window as unknown as { statusLog: typeof log }).statusLog = log;
    const read = () => document.querySelector('[role="toolbar"][aria-label="Console"] [role="status"]')?.textContent ?? "(no console)";
    new MutationObserver(() => {
      const text = read();
      if (log.at(-1)?.text !== text) log.push({ t: performance.now(), text });
    }).observe(document.body, { childList: true, characterData: true, subtree: true });
  });
}

/** Milliseconds from the console saying the VM moved to it showing the screen again. */
export async function reconnectAfterMove(page: Page): Promise<number> {
  const log = await consoleStatuses(page);
  const texts = JSON.stringify(log.map((e) => e.text));
  const moved = log.findIndex((e) => e.text.includes("the VM moved to another host"));
  expect(moved, `the console said the VM moved (it showed ${texts})`).toBeGreaterThanOrEqual(0);
  const back = log.slice(moved).find((e) => e.text === "connected");
  expect(back, `the console connected again (it showed ${texts})`).toBeDefined();
  return back!.t - log[moved]!.t;
}

/** Every text the console's connection badge has shown since recordConsoleStatus. */
export async function consoleStatuses(page: Page): Promise<{ t: number; text: string }[]> {
  return page.evaluate(() => (window as unknown as { statusLog: { t: number; text: string }[] }).statusLog);
}
