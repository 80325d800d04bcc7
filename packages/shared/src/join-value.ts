// The GUESTHOUSE_JOIN value a new host service starts with (ADR 0034), written by the console's
// Hosts page and read by the host service: `<console-url>#<join-token>[;sha256=<pin>]`. The pin is
// the console certificate's SHA-256; over https the host trusts that certificate and no other
// (apps/host/src/join-https.ts), so a console with a self-signed certificate is joined safely.

export interface JoinValue {
  consoleUrl: string;
  token: string;
  /** 64 lower-case hex digits, when the value carries a pin. */
  pin?: string;
}

/** The value for a console reached at `origin`; a pin only over https and when a certificate is known. */
export function formatJoinValue(origin: string, token: string, certSha256: string | null): string {
  const pin = origin.startsWith("https://") && certSha256 ? `;sha256=${certSha256.replaceAll(":", "").toLowerCase()}` : "";
  return `${origin.replace(/\/+$/, "")}#${token}${pin}`;
}

/** Its parts, or an Error whose message says what is wrong. */
export function parseJoinValue(value: string): JoinValue {
  const hash = value.indexOf("#");
  const consoleUrl = hash < 0 ? "" : value.slice(0, hash).replace(/\/+$/, "");
  const [token = "", ...params] = (hash < 0 ? "" : value.slice(hash + 1)).split(";");
  if (!/^https?:\/\/[^\s#]+$/.test(consoleUrl) || !token)
    throw new Error("GUESTHOUSE_JOIN must be <console-url>#<join-token>, as the console's Hosts page shows it");
  let pin: string | undefined;
  for (const param of params) {
    const hex = /^sha256=([0-9a-f:]+)$/i.exec(param)?.[1]?.replaceAll(":", "").toLowerCase();
    if (!hex || hex.length !== 64)
      throw new Error(`GUESTHOUSE_JOIN: '${param}' is not a certificate pin; it must be sha256= and 64 hex digits`);
    pin = hex;
  }
  if (pin && !consoleUrl.startsWith("https://")) throw new Error("GUESTHOUSE_JOIN: a certificate pin needs an https:// console URL");
  return pin ? { consoleUrl, token, pin } : { consoleUrl, token };
}
