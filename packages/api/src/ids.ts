import { randomBytes } from "node:crypto";

/** Lower-case ids that are also valid host folder names (the host's VM id rule). */
export function createId(): string {
  return `v${Date.now().toString(36)}${randomBytes(6).toString("hex")}`;
}
