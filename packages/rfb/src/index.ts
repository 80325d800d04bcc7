/** @guesthouse/rfb: the RFB-aware display proxy between noVNC and QEMU's VNC socket. */
export {
  ClientStreamFilter,
  type ClientStreamEvent,
  type ClientStreamOptions,
  type ClientStreamPhase,
  type ClientStreamResult,
  type HandshakeStepName,
  type ViewerMode,
} from "./client-stream.ts";
export { DEFAULT_LIMITS, type ClientMessageName, type ClientStreamLimits, type MessageClass } from "./client-messages.ts";
export { WITHHELD_ENCODINGS } from "./set-encodings.ts";
export { CLOSE_CODE_BY_FAILURE, type RfbFailure, type RfbFailureKind } from "./rfb-failure.ts";
export {
  DEFAULT_HIGH_WATER_MARK,
  DISPLAY_WEBSOCKET_OPTIONS,
  pipeDisplay,
  type DisplayPipe,
  type DisplayPipeMetrics,
  type DisplayPipeOptions,
} from "./pipe.ts";
