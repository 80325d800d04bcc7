/** Options, metrics and handle of pipeDisplay (pipe.ts). */
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { ClientStreamLimits } from "./client-messages.ts";
import type { ViewerMode } from "./client-stream-types.ts";
import type { DisplaySocketTarget } from "./display-socket.ts";

/** Queued bytes towards the viewer above which we stop reading the server. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Options for the WebSocketServer that feeds pipeDisplay. Compression would
 * cost CPU on already-encoded framebuffer data; the payload cap stops one
 * frame from exceeding what the filter accepts (a 1 MiB ClientCutText) by much.
 */
export const DISPLAY_WEBSOCKET_OPTIONS = {
  perMessageDeflate: false,
  maxPayload: 2 * 1024 * 1024,
} as const;

export interface DisplayPipeOptions {
  /** An open server-side WebSocket from `ws`. */
  readonly ws: WebSocket;
  /**
   * The display server: a unix socket path or a connected socket's descriptor (both read in
   * large reused buffers, see display-socket.ts), or any duplex stream, connected or connecting.
   */
  readonly upstream: Duplex | DisplaySocketTarget;
  readonly mode: ViewerMode;
  readonly highWaterMark?: number;
  readonly limits?: Partial<ClientStreamLimits>;
  /** Called once, after both sides are closed. */
  readonly onClose?: (metrics: DisplayPipeMetrics) => void;
}

export interface DisplayPipeMetrics {
  readonly mode: ViewerMode;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly bytesFromViewer: number;
  /** After filtering: what the display server actually received. */
  readonly bytesToServer: number;
  readonly bytesToViewer: number;
  readonly messagesFromViewer: number;
  readonly droppedInputMessages: number;
  /** Highest `ws.bufferedAmount` seen: shows whether back-pressure held. */
  readonly peakQueuedToViewer: number;
  /** Highest unsent byte count towards the display server. */
  readonly peakQueuedToServer: number;
  readonly closeReason: string | null;
}

export interface DisplayPipe {
  metrics(): DisplayPipeMetrics;
  /** Ends both sides, e.g. when the ticket is revoked or the VM is deleted. */
  close(reason: string, code?: number): void;
}
