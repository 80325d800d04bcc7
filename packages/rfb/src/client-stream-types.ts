/** Public types of the client-stream filter, apart from its state machine. */
import type { ClientMessageName, ClientStreamLimits, MessageClass } from "./client-messages.ts";
import type { RfbFailure } from "./rfb-failure.ts";

/** `view` drops every input message; `control` forwards everything. */
export type ViewerMode = "view" | "control";

export type ClientStreamPhase = "version" | "security" | "clientInit" | "messages" | "failed";

export type HandshakeStepName = "ProtocolVersion" | "SecurityType" | "ClientInit";

export interface ClientStreamEvent {
  readonly name: HandshakeStepName | ClientMessageName;
  readonly class: MessageClass | "handshake";
  readonly forwarded: boolean;
  /** Size of the whole message as the client sent it. */
  readonly bytes: number;
}

export interface ClientStreamResult {
  /** Bytes to write to the server, in order; views of the pushed chunk where possible. */
  readonly forward: Uint8Array[];
  readonly events: ClientStreamEvent[];
  /** Set once the stream is broken; every later push returns it again and forwards nothing. */
  readonly failure?: RfbFailure;
}

export interface ClientStreamOptions {
  readonly mode: ViewerMode;
  readonly limits?: Partial<ClientStreamLimits>;
}
