// noVNC ships no usable types (docs/machine-facts.md); this covers the part of its documented API we use.
declare module "@novnc/novnc" {
  export default class RFB extends EventTarget {
    constructor(
      target: HTMLElement,
      urlOrChannel: string | WebSocket,
      options?: { shared?: boolean; credentials?: Record<string, string> },
    );
    viewOnly: boolean;
    scaleViewport: boolean;
    clipViewport: boolean;
    resizeSession: boolean;
    focusOnClick: boolean;
    background: string;
    disconnect(): void;
    focus(): void;
    sendKey(keysym: number, code: string | null, down?: boolean): void;
    /** Offers text to the guest's clipboard (extended clipboard when the server has it). */
    clipboardPasteFrom(text: string): void;
  }
}
