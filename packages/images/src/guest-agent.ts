// The demo guest's clipboard agent (agent/ghclip.c), compiled on the host with Debian's gcc as a
// static binary, so the tiny initramfs (busybox, no libc) can run it.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./run.ts";

export const AGENT_SOURCE = fileURLToPath(new URL("../agent/ghclip.c", import.meta.url));

/** Read at once: the tiny guest's recipe id hashes it, so a changed agent is a new build. */
export function agentSource(): string {
  return readFileSync(AGENT_SOURCE, "utf8");
}

/** Compiles the agent into `dir` and returns the binary's bytes. */
export async function buildAgent(dir: string): Promise<Buffer> {
  const out = join(dir, "ghclip");
  await run("gcc", ["-static", "-Os", "-s", "-Wall", "-Wextra", "-Werror", "-o", out, AGENT_SOURCE]);
  return readFile(out);
}
