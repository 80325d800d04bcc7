"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import { useTRPC } from "@/trpc/react";
import { VncViewer, type VncHandle, type ViewerStatus } from "./VncViewer";
import type { VncFigures } from "./vnc-metrics";
import { typeText } from "./keysyms";
import { SpecialKeys, type HeldModifiers } from "./SpecialKeys";
import { formatBytes } from "./format";
import { VmShareLinks } from "./VmShareLinks";
import { ClipboardPanel } from "./ClipboardPanel";
import { useControlRequest, type FetchTicket } from "./use-control-request";

export function VmConsole({ vmId, state, canControl }: { vmId: string; state: string; canControl: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [scale, setScale] = useState<"fit" | "1:1">("fit");
  const [status, setStatus] = useState<{ s: ViewerStatus; detail?: string }>({ s: "connecting" });
  const [figures, setFigures] = useState<VncFigures | null>(null);
  const [paste, setPaste] = useState("");
  const [fromGuest, setFromGuest] = useState<string | null>(null);
  // Sticky modifiers: QEMU lifts every key when a viewer disconnects, so a reconnect starts clean.
  const [held, setHeld] = useState<HeldModifiers>({ ctrl: false, alt: false });
  const handle = useRef<VncHandle>({ rfb: null });
  const box = useRef<HTMLDivElement>(null);
  const control = useMutation(trpc.display.controlTicket.mutationOptions());
  const view = useMutation(trpc.display.viewTicket.mutationOptions());
  const viewers = useQuery({ ...trpc.display.viewers.queryOptions({ vmId }), refetchInterval: 3000 });
  const me = useQuery(trpc.auth.me.queryOptions());
  const kick = useMutation(
    trpc.display.disconnect.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.display.viewers.queryKey({ vmId }) }),
    }),
  );
  const fetchTicket = useCallback<FetchTicket>(
    async (m, takeOver) => (m === "view" ? await view.mutateAsync({ vmId }) : await control.mutateAsync({ vmId, takeOver })).ticket,
    [vmId, view.mutateAsync, control.mutateAsync],
  );
  const { mode, setMode, notice, getTicket, requestControl } = useControlRequest(canControl ? "control" : "view", fetchTicket);
  const onClipboard = useCallback((text: string) => {
    setFromGuest(text);
    // Where the browser allows it; a refusal (no focus, no permission) leaves the panel to show it.
    if (window.isSecureContext) void navigator.clipboard?.writeText(text).catch(() => undefined);
  }, []);
  const onStatus = useCallback((s: ViewerStatus, detail?: string) => {
    setStatus({ s, detail });
    if (s !== "connected") setHeld({ ctrl: false, alt: false });
  }, []);

  const live = state === "running" || state === "paused";
  // Whoever was watching is told who took the screen away, not only that it is gone.
  const ended = useQuery({ ...trpc.display.ended.queryOptions({ vmId }), enabled: !live, staleTime: 0 });
  if (!live)
    return (
      <p className="muted" role="status" aria-label="Console">
        The VM is {state}
        {ended.data ? `: ${ended.data.reason}` : ""}. Start it to see its screen.
      </p>
    );
  const rfb = () => handle.current.rfb;
  return (
    <div className="console" ref={box}>
      <div className="toolbar" role="toolbar" aria-label="Console">
        <span className={`badge conn-${status.s}`} role="status">
          {status.s}
          {status.detail ? `: ${status.detail}` : ""}
        </span>
        {canControl && (
          <label>
            Mode{" "}
            <select value={mode} onChange={(e) => setMode(e.target.value as "control" | "view")}>
              <option value="control">Control</option>
              <option value="view">View only</option>
            </select>
          </label>
        )}
        <label>
          Scale{" "}
          <select value={scale} onChange={(e) => setScale(e.target.value as "fit" | "1:1")}>
            <option value="fit">Fit</option>
            <option value="1:1">1:1</option>
          </select>
        </label>
        <button type="button" onClick={() => void box.current?.requestFullscreen()}>
          Fullscreen
        </button>
        {canControl && mode === "view" && (
          <button type="button" onClick={requestControl}>
            Request control
          </button>
        )}
        {mode === "control" && (
          <>
            <SpecialKeys rfb={rfb} held={held} onHeldChange={setHeld} />
            {(held.ctrl || held.alt) && (
              <span className="badge" role="status">
                holding {[held.ctrl && "Ctrl", held.alt && "Alt"].filter(Boolean).join("+")}
              </span>
            )}
            <label>
              Paste as keystrokes <input value={paste} onChange={(e) => setPaste(e.target.value)} placeholder="text to type" />
            </label>
            <button
              type="button"
              disabled={!paste}
              onClick={() => {
                const r = rfb();
                if (r) typeText(r, paste);
              }}
            >
              Type it
            </button>
          </>
        )}
        {figures && (
          <span className="figures" aria-label="Display figures">
            {figures.updatesPerSecond} updates/s · {formatBytes(figures.bytesPerSecond)}/s · input{" "}
            {figures.inputLatencyMs === null ? "—" : `${figures.inputLatencyMs.toFixed(0)} ms`}
          </span>
        )}
      </div>
      {notice && (
        <p role="status" className="muted">
          {notice}
        </p>
      )}
      <VncViewer
        vmId={vmId}
        mode={mode}
        scale={scale}
        getTicket={getTicket}
        handle={handle}
        onStatus={onStatus}
        onFigures={setFigures}
        onClipboard={mode === "control" ? onClipboard : undefined}
      />
      {mode === "control" && (
        <ClipboardPanel
          fromGuest={fromGuest}
          send={(text) => {
            const r = rfb();
            if (!r) return false;
            r.clipboardPasteFrom(text);
            return true;
          }}
        />
      )}
      <section aria-labelledby="viewers-h">
        <h2 id="viewers-h">Connected viewers</h2>
        <ul className="viewers">
          {viewers.data?.map((v) => (
            <li key={v.id}>
              {v.userEmail} · {v.mode} · since {new Date(v.since).toLocaleTimeString()}{" "}
              {me.data?.permissions.includes("user.admin") && (
                <button type="button" onClick={() => kick.mutate({ vmId, viewerId: v.id })}>
                  Disconnect
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      {canControl && <VmShareLinks vmId={vmId} />}
    </div>
  );
}
