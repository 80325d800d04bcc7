import { defineConfig } from "@playwright/test";
import { chromium } from "./chromium";

// Runs against the stack `npm test` started (CONSOLE_URL). Debian's Chromium, never a downloaded one.
export default defineConfig({
  testDir: ".",
  timeout: 120_000,
  expect: { timeout: 30_000 },
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : [["list"]],
  outputDir: "../.data/test/playwright",
  use: {
    baseURL: process.env.CONSOLE_URL ?? "http://localhost:3100",
    viewport: { width: 1280, height: 800 },
    launchOptions: chromium,
    trace: "off",
  },
});
