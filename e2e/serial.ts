// The VM page's Serial tab as a person uses it: type into xterm.js, read whole lines back.
import { expect, type Page } from "@playwright/test";

export function serialLines(page: Page): Promise<string[]> {
  return page
    .locator(".xterm-rows")
    .innerText()
    .then((t) => t.split("\n").map((l) => l.replace(/\u00a0/g, " ").trimEnd()));
}

/** Waits for a whole line of the serial terminal to match `line`. */
export async function serialLine(page: Page, line: RegExp, timeout = 60_000): Promise<void> {
  await expect.poll(() => serialLines(page), { timeout }).toContainEqual(expect.stringMatching(line));
}

/** Runs a shell command on the guest's serial console and waits for a marker line it prints. */
export async function serialRun(page: Page, command: string, marker: string): Promise<void> {
  await page.locator("[data-testid=serial-terminal]").click();
  await page.keyboard.type(`${command}; echo ${marker}-$((1+1))\n`);
  await serialLine(page, new RegExp(`^${marker}-2$`));
}
