// Each joined host has a credential of its own (ADR 0034). The DB keeps only its sha256; the
// console derives it again when it calls the host, from its own secret (HOST_TOKEN) and the host's
// id, so a copy of the database alone opens no host. The local host of `npm run up` is registered
// with HOST_TOKEN itself, as before.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The credential of host `hostId`: what the host keeps (mode 0600) and the console presents. */
export function deriveHostCredential(consoleSecret: string, hostId: string): string {
  return createHmac("sha256", consoleSecret).update(`guesthouse host credential\0${hostId}`).digest("base64url");
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** The credential to present to a host: its derived one when its row says so, else the console's secret. */
export function credentialFor(consoleSecret: string, host: { id: string; tokenHash: string }): string {
  const derived = deriveHostCredential(consoleSecret, host.id);
  return sameHash(sha256(derived), host.tokenHash) ? derived : consoleSecret;
}
