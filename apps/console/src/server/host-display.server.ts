// Opens the host's /display/:vm WebSocket on behalf of a browser, passing the browser's own
// handshake (its key, version and subprotocols) with the host token added: the host's answer,
// Sec-WebSocket-Accept included, is then the right answer for the browser, and the two
// connections carry one WebSocket end to end (ADR 0019). No extension is offered, so frames
// stay as the browser and the host wrote them.
import { createHash } from "node:crypto";
import { request, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";

const CONNECT_TIMEOUT_MS = 10_000;
const KEY = /^[A-Za-z0-9+/]{22}==$/;

export type HostDisplay =
  | { ok: true; socket: Socket; head: Buffer; response: IncomingMessage }
  /** unreachable: no answer at all (refused, reset, timed out), not a refusal from the host. */
  | { ok: false; status: number; text: string; unreachable: boolean };

/** The browser's request is a WebSocket handshake we can pass on (RFC 6455 §4.2.1). */
export function isWebSocketHandshake(headers: IncomingHttpHeaders): boolean {
  return (
    headers.upgrade?.toLowerCase() === "websocket" &&
    headers["sec-websocket-version"] === "13" &&
    KEY.test(headers["sec-websocket-key"] ?? "")
  );
}

export function openHostDisplay(url: string, token: string, browser: IncomingHttpHeaders): Promise<HostDisplay> {
  const protocol = browser["sec-websocket-protocol"];
  return new Promise((resolve) => {
    const req = request(url, {
      agent: false,
      timeout: CONNECT_TIMEOUT_MS,
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": browser["sec-websocket-key"] ?? "",
        ...(protocol ? { "sec-websocket-protocol": protocol } : {}),
        authorization: `Bearer ${token}`,
      },
    });
    req.once("upgrade", (response, socket: Socket, head) => {
      // The timeout is for the handshake: an open display may sit idle for hours.
      req.removeAllListeners("timeout");
      socket.setTimeout(0);
      socket.setNoDelay(true);
      resolve({ ok: true, socket, head, response });
    });
    req.once("response", (response) => {
      response.resume();
      resolve({ ok: false, status: response.statusCode ?? 502, text: response.statusMessage ?? "", unreachable: false });
    });
    req.once("timeout", () => req.destroy(new Error("timed out")));
    req.once("error", (error) => resolve({ ok: false, status: 502, text: error.message, unreachable: true }));
    req.end();
  });
}

/** The 101 the browser gets: the host's accept key and chosen subprotocol, nothing else. */
export function switchingProtocols(host: IncomingMessage): string {
  return handshake(host.headers["sec-websocket-accept"] ?? "", host.headers["sec-websocket-protocol"]);
}

/**
 * The console's own answer to a browser's handshake (RFC 6455 §4.2.2), for when there is no host
 * to answer it: the WebSocket opens only to carry a close frame with the reason, which a browser
 * cannot read from a refused upgrade.
 */
export function ownSwitchingProtocols(browser: IncomingHttpHeaders): string {
  const accept = createHash("sha1")
    .update(`${browser["sec-websocket-key"] ?? ""}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest("base64");
  return handshake(accept, browser["sec-websocket-protocol"]?.split(",")[0]?.trim());
}

function handshake(accept: string, protocol: string | undefined): string {
  return [
    "HTTP/1.1 101 Switching Protocols",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Accept: ${accept}`,
    ...(protocol ? [`Sec-WebSocket-Protocol: ${protocol}`] : []),
    "",
    "",
  ].join("\r\n");
}
