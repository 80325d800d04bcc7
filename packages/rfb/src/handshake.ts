/**
 * Checks of the three handshake answers a client sends before normal
 * messages (RFC 6143 §7.1–7.3). Each returns a failure or undefined.
 *
 * Why 3.7/3.8 only: with 3.3 the server picks the security type and the
 * client sends no answer byte, so the stream layout differs; QEMU and noVNC
 * both speak 3.8, and anything older is a client we have no reason to admit.
 */
import { policyFailure, protocolFailure, type RfbFailure } from "./rfb-failure.ts";

/** The client's handshake answers, in the order it must send them. */
export const HANDSHAKE_STEPS = {
  version: { name: "ProtocolVersion", total: 12 },
  security: { name: "SecurityType", total: 1 },
  clientInit: { name: "ClientInit", total: 1 },
} as const;
export const SECURITY_TYPE_NONE = 1;

const SUPPORTED_VERSIONS = new Set(["RFB 003.007\n", "RFB 003.008\n"]);
const VERSION_SHAPE = /^RFB \d{3}\.\d{3}\n$/;

const SECURITY_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: "Invalid",
  1: "None",
  2: "VNC authentication",
  16: "Tight",
  18: "TLS",
  19: "VeNCrypt",
  30: "Apple remote desktop",
};

/** Shows untrusted bytes in a reason string without control characters. */
function printable(bytes: Uint8Array): string {
  return JSON.stringify(Buffer.from(bytes).toString("latin1")).replace(/[^\x20-\x7e]/g, "?");
}

export function checkProtocolVersion(version: Uint8Array): RfbFailure | undefined {
  const text = Buffer.from(version).toString("latin1");
  if (SUPPORTED_VERSIONS.has(text)) return undefined;
  if (!VERSION_SHAPE.test(text)) {
    return protocolFailure(`ProtocolVersion ${printable(version)} is not "RFB xxx.yyy\\n"`);
  }
  return policyFailure(`RFB version ${text.slice(4, 11)} is not supported; use 003.008`);
}

/**
 * QEMU's unix-socket VNC offers only None: the ticket check in front of the
 * proxy is the authentication. So any other answer is refused here, which
 * also means we never need to parse an authentication exchange.
 */
export function checkSecurityType(type: number): RfbFailure | undefined {
  if (type === SECURITY_TYPE_NONE) return undefined;
  const name = SECURITY_TYPE_NAMES[type] ?? "unknown";
  return policyFailure(`security type ${type} (${name}) is not supported; only None (1)`);
}

/**
 * ClientInit's only byte is the shared flag. QEMU disconnects every other
 * viewer when a client asks for exclusive access, so we always send 1.
 */
export const SHARED_CLIENT_INIT: Uint8Array = Uint8Array.of(1);
