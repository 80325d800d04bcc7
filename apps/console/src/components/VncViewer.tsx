"use client";
// Owns one noVNC RFB object: created in one effect, torn down (listeners and socket) in its cleanup.
import { useEffect, useRef, useState } from "react";
import type RFBType from "@novnc/novnc";
import { TRPCClientError } from "@trpc/client";
import { instrumentSocket, type VncFigures } from "./vnc-metrics";

export type ViewerStatus = "connecting" | "connected" | "reconnecting" | "disconnected";

export interface VncHandle {
  rfb: RFBType | null;
}

interface Props {
  vmId: string;
  mode: "control" | "view";
  scale: "fit" | "1:1";
  getTicket: () => Promise<string>;
  handle: React.RefObject<VncHandle>;
  onStatus: (status: ViewerStatus, detail?: string) => void;
  onFigures: (f: VncFigures) => void;
  /** Text the guest put on its clipboard (control viewers only: the host keeps it from view-only ones). */
  onClipboard?: (text: string) => void;
}

/** A ticket refused for now (the VM's state, a busy or unreachable console), not for good. */
function waitWorthy(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return error instanceof TypeError; // fetch itself failed
  const code = (error.data as { code?: string } | undefined)?.code;
  return code === undefined || code === "CONFLICT" || code === "SERVICE_UNAVAILABLE" || code === "TOO_MANY_REQUESTS";
}

export function VncViewer({ vmId, mode, scale, getTicket, handle, onStatus, onFigures, onClipboard }: Props) {
  const target = useRef<HTMLDivElement>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let disposed = false;
    let rfb: RFBType | null = null;
    let stopMetrics = () => {};
    let retry: ReturnType<typeof setTimeout> | undefined;
    let handshakeTimer: ReturnType<typeof setTimeout> | undefined;
    onStatus(generation === 0 ? "connecting" : "reconnecting");
    (async () => {
      const { default: RFB } = await import("@novnc/novnc");
      const ticket = await getTicket();
      if (disposed || !target.current) return;
      const proto = window.location.protocol === "https:" ? "wss" : "ws";
      const ws = new WebSocket(
        `${proto}://${window.location.host}/ws/display/${encodeURIComponent(vmId)}?ticket=${encodeURIComponent(ticket)}`,
      );
      ws.binaryType = "arraybuffer";
      // The console closes a viewer with a reason (revoked, expired, disconnected by an admin, the VM
      // stopped); noVNC's own disconnect event does not carry it, so it is read here, before noVNC's.
      let closeReason = "";
      ws.addEventListener("close", (e) => {
        closeReason = e.reason;
      });
      stopMetrics = instrumentSocket(ws, onFigures);
      rfb = new RFB(target.current, ws, { shared: true });
      rfb.viewOnly = mode === "view";
      rfb.scaleViewport = scale === "fit";
      rfb.background = "#111";
      handle.current.rfb = rfb;
      // A handshake that has not finished in 10 s is retried with a fresh ticket rather than left hanging.
      handshakeTimer = setTimeout(() => rfb?.disconnect(), 10_000);
      rfb.addEventListener("clipboard", (e) => onClipboard?.((e as CustomEvent<{ text: string }>).detail.text));
      rfb.addEventListener("connect", () => {
        clearTimeout(handshakeTimer);
        onStatus("connected");
      });
      rfb.addEventListener("disconnect", (e) => {
        handle.current.rfb = null;
        if (disposed) return;
        const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean;
        // Access taken away while watching (ADR 0062): final, as a refused ticket is.
        if (/^your (access was changed|session ended)/.test(closeReason)) return onStatus("disconnected", closeReason);
        onStatus("reconnecting", closeReason || (clean ? "the display closed" : "the connection dropped"));
        // A VM that moved to another host (vm-move.ts) is there already: reconnect at once.
        retry = setTimeout(() => setGeneration((g) => g + 1), closeReason.startsWith("the VM moved") ? 50 : 1500);
      });
    })().catch((error: unknown) => {
      if (disposed) return;
      const message = error instanceof Error ? error.message : String(error);
      // The VM cannot be shown yet (stopped, or its host unreachable), or the console did not answer:
      // try again, as a person would, until it can. A refusal (revoked, expired, no access) is final.
      if (!waitWorthy(error)) return onStatus("disconnected", message);
      onStatus("reconnecting", message);
      retry = setTimeout(() => setGeneration((g) => g + 1), 3000);
    });
    return () => {
      disposed = true;
      clearTimeout(retry);
      clearTimeout(handshakeTimer);
      stopMetrics();
      handle.current.rfb = null;
      rfb?.disconnect();
    };
    // A new connection for a new VM, mode or reconnect; scaling is applied below without reconnecting.
  }, [vmId, mode, generation]);

  useEffect(() => {
    if (handle.current.rfb) handle.current.rfb.scaleViewport = scale === "fit";
  }, [scale, handle]);

  return <div ref={target} className={`vnc-screen scale-${scale === "fit" ? "fit" : "native"}`} data-testid="vnc-screen" />;
}
