// Opens the host's /display/:vm WebSocket on behalf of a browser, passing the browser's own
// handshake (its key, version and subprotocols) with the host token added: the host's answer,
// Sec-WebSocket-Accept included, is then the right answer for the browser, and the two
// connections carry one WebSocket end to end (ADR 0019). No extension is offered, so frames
// stay as the browser and the host wrote them.
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import { connectDisplaySocket, type DisplayChunkHandler } from "@guesthouse/rfb/display-socket";

const CONNECT_TIMEOUT_MS = 10_000;
const KEY = /^[A-Za-z0-9+/]{22}==$/;
/** A 101 from the host is a few hundred bytes; anything longer is not one. */
const MAX_RESPONSE_HEAD = 16 * 1024;
const NO_RELEASE = (): void => {};

/**
 * The host's bytes after its 101, as display-socket.ts reads them: large reused buffers, each
 * handed on with the `release` that lets it be reused. Whoever relays them says so with `take`;
 * what came before is kept (copied) until then.
 */
export class HostReads {
  #handler: DisplayChunkHandler | null = null;
  #early: Buffer[] = [];

  push: DisplayChunkHandler = (chunk, release) => {
    if (this.#handler) return this.#handler(chunk, release);
    this.#early.push(Buffer.from(chunk));
    release();
  };

  take(handler: DisplayChunkHandler): void {
    this.#handler = handler;
    for (const chunk of this.#early.splice(0)) handler(chunk, NO_RELEASE);
  }
}

export type HostDisplay =
  | { ok: true; socket: Socket; reads: HostReads; headers: Record<string, string> }
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

function upgradeRequest(url: URL, token: string, browser: IncomingHttpHeaders): string {
  const protocol = browser["sec-websocket-protocol"];
  const lines = [
    `GET ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    `Sec-WebSocket-Key: ${browser["sec-websocket-key"] ?? ""}`,
    ...(protocol ? [`Sec-WebSocket-Protocol: ${protocol}`] : []),
    `Authorization: Bearer ${token}`,
  ];
  if (lines.some((line) => /[\r\n]/.test(line))) throw new Error("a header of the display request holds a line break");
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** The status and headers of an HTTP/1.1 response head (the bytes before its blank line). */
function parseResponseHead(head: string): { status: number; text: string; headers: Record<string, string> } | null {
  const [statusLine = "", ...lines] = head.split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!status) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status[1]), text: status[2] ?? "", headers };
}

/**
 * Opens the host's display WebSocket. The handshake is written and read here, on a socket read
 * into large reused buffers (display-socket.ts): Node's HTTP client would hand over a socket that
 * reads 64 KiB at a time, and every read is a wake-up on the way to the browser (ADR 0060).
 */
export function openHostDisplay(url: string, token: string, browser: IncomingHttpHeaders): Promise<HostDisplay> {
  const target = new URL(url);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: HostDisplay) => {
      if (settled) return;
      settled = true;
      if (!result.ok) socket.destroy();
      resolve(result);
    };
    const reads = new HostReads();
    let head = Buffer.alloc(0);
    const inHandshake: DisplayChunkHandler = (chunk, release) => {
      head = Buffer.concat([head, chunk]);
      release();
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > MAX_RESPONSE_HEAD) settle({ ok: false, status: 502, text: "the host's answer is not HTTP", unreachable: false });
        return;
      }
      const response = parseResponseHead(head.subarray(0, end).toString("latin1"));
      if (!response) return settle({ ok: false, status: 502, text: "the host's answer is not HTTP", unreachable: false });
      if (response.status !== 101) return settle({ ok: false, status: response.status, text: response.text, unreachable: false });
      onChunk = reads.push;
      const rest = head.subarray(end + 4);
      if (rest.length > 0) reads.push(rest, NO_RELEASE);
      // The timeout is for the handshake: an open display may sit idle for hours.
      socket.setTimeout(0);
      settle({ ok: true, socket, reads, headers: response.headers });
    };
    let onChunk = inHandshake;
    const socket = connectDisplaySocket(
      { host: target.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(target.port || 80) },
      (chunk, release) => onChunk(chunk, release),
    );
    socket.setNoDelay(true);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => settle({ ok: false, status: 502, text: "timed out", unreachable: true }));
    socket.once("error", (error) => settle({ ok: false, status: 502, text: error.message, unreachable: true }));
    socket.once("close", () => settle({ ok: false, status: 502, text: "the host closed the connection", unreachable: true }));
    try {
      socket.write(upgradeRequest(target, token, browser));
    } catch (error) {
      settle({ ok: false, status: 502, text: (error as Error).message, unreachable: false });
    }
  });
}

/** The 101 the browser gets: the host's accept key and chosen subprotocol, nothing else. */
export function switchingProtocols(host: Record<string, string>): string {
  return handshake(host["sec-websocket-accept"] ?? "", host["sec-websocket-protocol"]);
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
