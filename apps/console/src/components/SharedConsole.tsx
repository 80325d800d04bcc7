"use client";
// The console behind a share link (docs/decisions/0028-console-share-links.md). The token is in the
// URL's fragment, which the browser never sends: it reaches the console only in share.* calls.
import { useMutation } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTRPC, useTRPCClient } from "@/trpc/react";
import { VncViewer, type VncHandle, type ViewerStatus } from "./VncViewer";

type Opened = { pass: string; vmId: string; vmName: string; mode: "view" | "control"; expiresAt: Date };

export function SharedConsole() {
  const trpc = useTRPC();
  const [token, setToken] = useState<string | null>(null);
  const [needsPin, setNeedsPin] = useState(false);
  const [pin, setPin] = useState("");
  const [opened, setOpened] = useState<Opened | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [status, setStatus] = useState<{ s: ViewerStatus; detail?: string }>({ s: "connecting" });
  const handle = useRef<VncHandle>({ rfb: null });
  const client = useTRPCClient();
  const open = useMutation(trpc.share.open.mutationOptions());
  const ticket = useMutation(trpc.share.ticket.mutationOptions());

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

  const getTicket = useCallback(async () => (await ticket.mutateAsync({ pass: opened!.pass })).ticket, [opened, ticket]);
  const onStatus = useCallback((s: ViewerStatus, detail?: string) => setStatus({ s, detail }), []);

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
  return (
    <div className="console">
      <div className="toolbar" role="toolbar" aria-label="Console">
        <strong>{opened.vmName}</strong>
        <span className={`badge conn-${status.s}`} role="status">
          {status.s}
          {status.detail ? `: ${status.detail}` : ""}
        </span>
        <span className="muted">
          {opened.mode === "view" ? "View only" : "Control"} · link expires at {new Date(opened.expiresAt).toLocaleTimeString()}
        </span>
      </div>
      <VncViewer
        vmId={opened.vmId}
        mode={opened.mode}
        scale="fit"
        getTicket={getTicket}
        handle={handle}
        onStatus={onStatus}
        onFigures={() => undefined}
      />
    </div>
  );
}
