"use client";
// The console behind a share link (docs/decisions/0028-console-share-links.md). The token is in the
// URL's fragment, which the browser never sends: it reaches the console only in share.* calls.
import { useMutation } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTRPC, useTRPCClient } from "@/trpc/react";
import { VncViewer, type VncHandle, type ViewerStatus } from "./VncViewer";
import { useControlRequest, type FetchTicket } from "./use-control-request";

type Opened = { pass: string; vmId: string; vmName: string; mode: "view" | "control"; expiresAt: Date };

export function SharedConsole() {
  const trpc = useTRPC();
  const [token, setToken] = useState<string | null>(null);
  const [needsPin, setNeedsPin] = useState(false);
  const [pin, setPin] = useState("");
  const [opened, setOpened] = useState<Opened | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const client = useTRPCClient();
  const open = useMutation(trpc.share.open.mutationOptions());

  const openWith = useCallback(
    (t: string, p?: string) =>
      open.mutate(
        { token: t, pin: p },
        {
          onSuccess: (o) => {
            setRefusal(null);
            setOpened(o);
          },
          onError: (e) => setRefusal(e.message),
        },
      ),
    [open],
  );

  useEffect(() => {
    const t = window.location.hash.slice(1);
    setToken(t);
    if (!t) return setRefusal("This page needs the whole share link, including the part after '#'");
    // Asked once, when the fragment is known: whether to ask for a PIN before opening.
    client.share.describe.query({ token: t }).then(
      (d) => (d.needsPin ? setNeedsPin(true) : openWith(t)),
      (e: unknown) => setRefusal(e instanceof Error ? e.message : String(e)),
    );
    // Once per page load.
  }, []);

  if (!opened) {
    return (
      <div className="login-card">
        <h1>Shared console</h1>
        {refusal && (
          <p role="alert" className="error">
            {refusal}
          </p>
        )}
        {needsPin && token && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              openWith(token, pin);
            }}
          >
            <label>
              PIN <input inputMode="numeric" autoComplete="off" value={pin} onChange={(e) => setPin(e.target.value)} />
            </label>
            <button type="submit" disabled={!pin || open.isPending}>
              Open console
            </button>
          </form>
        )}
        {!refusal && !needsPin && <p className="muted">Opening…</p>}
      </div>
    );
  }
  return <SharedScreen opened={opened} />;
}

/**
 * The screen of an opened link. A control link's visitor arbitrates for control as an operator
 * does (ADR 0050): they watch while someone else has it, and "Request control" takes it over.
 */
function SharedScreen({ opened }: { opened: Opened }) {
  const trpc = useTRPC();
  const [status, setStatus] = useState<{ s: ViewerStatus; detail?: string }>({ s: "connecting" });
  const handle = useRef<VncHandle>({ rfb: null });
  const ticket = useMutation(trpc.share.ticket.mutationOptions());
  const fetchTicket = useCallback<FetchTicket>(
    async (mode, takeOver) => (await ticket.mutateAsync({ pass: opened.pass, mode, takeOver })).ticket,
    [opened.pass, ticket.mutateAsync],
  );
  const { mode, notice, getTicket, requestControl } = useControlRequest(opened.mode, fetchTicket);
  const onStatus = useCallback((s: ViewerStatus, detail?: string) => setStatus({ s, detail }), []);
  return (
    <div className="console">
      <div className="toolbar" role="toolbar" aria-label="Console">
        <strong>{opened.vmName}</strong>
        <span className={`badge conn-${status.s}`} role="status">
          {status.s}
          {status.detail ? `: ${status.detail}` : ""}
        </span>
        <span className="muted">
          {opened.mode === "view" ? "View only" : mode === "control" ? "Control" : "Watching"} · link expires at{" "}
          {new Date(opened.expiresAt).toLocaleTimeString()}
        </span>
        {opened.mode === "control" && mode === "view" && (
          <button type="button" onClick={requestControl}>
            Request control
          </button>
        )}
      </div>
      {notice && (
        <p role="status" className="muted">
          {notice}
        </p>
      )}
      <VncViewer
        vmId={opened.vmId}
        mode={mode}
        scale="fit"
        getTicket={getTicket}
        handle={handle}
        onStatus={onStatus}
        onFigures={() => undefined}
      />
    </div>
  );
}
