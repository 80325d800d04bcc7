/**
 * The single failure shape of the client-stream filter.
 *
 * `protocol` means the bytes are not RFB as we know it (unknown message
 * type, bad version string); `policy` means well-formed RFB that we refuse
 * (an older protocol version, a security type other than None, a length
 * above our caps). The pipe maps them to WebSocket close codes 1002 and 1008.
 */
export type RfbFailureKind = "protocol" | "policy";

export interface RfbFailure {
  readonly kind: RfbFailureKind;
  /** Human-readable and short enough for a WebSocket close reason (≤ 123 bytes). */
  readonly reason: string;
}

/** RFC 6455 caps a close frame's reason at 123 bytes of UTF-8. */
export const MAX_CLOSE_REASON_BYTES = 123;

export const CLOSE_CODE_BY_FAILURE: Readonly<Record<RfbFailureKind, number>> = {
  protocol: 1002,
  policy: 1008,
};

export function protocolFailure(detail: string): RfbFailure {
  return { kind: "protocol", reason: `malformed RFB message: ${detail}` };
}

export function policyFailure(detail: string): RfbFailure {
  return { kind: "policy", reason: `refused RFB message: ${detail}` };
}

/** Trims a reason to the close-frame limit without splitting a UTF-8 sequence. */
export function closeReasonOf(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return text;
  let end = MAX_CLOSE_REASON_BYTES - 3;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so we cut on a boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString("utf8")}...`;
}
