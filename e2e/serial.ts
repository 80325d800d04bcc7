// The VM page's Serial tab as a person uses it: type into xterm.js, read whole lines back.
import { expect, type Page } from "@playwright/test";
import { typeLikeAPerson } from "./fixtures";

export function serialLines(page: Page): Promise<string[]> {
  return page
    .locator(".xterm-rows")
    .innerText()
    .then((t) => t.split("\n").map((l) => l.replace(/\u00a0/g, " ").trimEnd()));
}

/** Waits for a whole line of the serial terminal to match `line`. */
export async function serialLine(page: Page, line: RegExp, timeout = 60_000): Promise<void> {
  // The newest lines only: older ones may hold an earlier boot's output.
  await expect.poll(async () => (await serialLines(page)).slice(-40), { timeout }).toContainEqual(expect.stringMatching(line));
}

/**
 * Runs a shell command on the guest's serial console and waits for the marker line only its
 * execution prints (the typed text shows `$((1+1))`, never `2`). A guest still booting may drop
 * the keys, so it types again, each try with its own marker, until one answers.
 */
export async function serialRun(page: Page, command: string, marker: string, tries = 6): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const tag = `${marker}${attempt}`;
    await page.locator("[data-testid=serial-terminal]").click();
    // Ctrl-C first: an earlier try that lost its first keys may have left an open quote behind.
    if (attempt > 1) await page.keyboard.press("Control+c");
    await page.keyboard.type(`${command}; echo ${tag}-$((1+1))\n`);
    try {
      await serialLine(page, new RegExp(`^${tag}-2$`), 10_000);
      return;
    } catch {
      if (attempt >= tries)
        throw new Error(`the guest did not answer '${command}'; last lines: ${JSON.stringify((await serialLines(page)).slice(-15))}`);
    }
  }
}

/** Types a sum into the guest's screen (the console page) and waits for its answer on the serial page. */
export async function consoleAnswers(consolePage: Page, serial: Page, a: number, b: number): Promise<void> {
  await consolePage.bringToFront();
  await expect(consolePage.getByRole("status").filter({ hasText: /^connected$/ })).toBeVisible();
  await consolePage.locator("[data-testid=vnc-screen] canvas").click();
  await typeLikeAPerson(consolePage, `echo $((${a}*${b})) > /dev/ttyS0\n`);
  await serial.bringToFront();
  await serialLine(serial, new RegExp(`^(tiny# )?${a * b}$`));
}
