"use client";
// The guest's clipboard, both ways (docs/decisions/0030-clipboard-through-qemu-vdagent.md). In a
// secure context (https, or localhost) the browser's own clipboard is used through the async
// Clipboard API; elsewhere (plain http by name) browsers refuse it, and the panel is the way.
import { useState } from "react";
import { clipboardRefusal } from "./clipboard-cap";

interface Props {
  /** What the guest copied last. */
  fromGuest: string | null;
  /** Sends text to the guest's clipboard; false when no console is connected. */
  send: (text: string) => boolean;
}

export function ClipboardPanel({ fromGuest, send }: Props) {
  const [text, setText] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const secure = typeof window !== "undefined" && window.isSecureContext && !!navigator.clipboard;
  const offer = (t: string) => {
    const refusal = clipboardRefusal(t);
    if (refusal) return setNote(refusal);
    setNote(send(t) ? "Sent to the guest's clipboard." : "The console is not connected; try again when it is.");
  };
  return (
    <section aria-labelledby="clipboard-h">
      <h2 id="clipboard-h">Clipboard</h2>
      <p className="muted">
        {secure
          ? "Text the guest copies is put on your clipboard too."
          : "This page is not a secure context (plain http), so the browser keeps its clipboard to itself: copy and paste here."}{" "}
        The guest needs a clipboard agent (spice-vdagent, or the demo guest&apos;s own).
      </p>
      <label>
        Guest clipboard <textarea readOnly value={fromGuest ?? ""} rows={2} cols={60} aria-label="Guest clipboard" />
      </label>
      <div className="toolbar">
        <label>
          Text for the guest{" "}
          <textarea value={text} onChange={(e) => setText(e.target.value)} rows={2} cols={60} aria-label="Text for the guest" />
        </label>
        <button type="button" disabled={!text} onClick={() => offer(text)}>
          Send to guest clipboard
        </button>
        {secure && (
          <button
            type="button"
            onClick={() =>
              void navigator.clipboard.readText().then(offer, () => setNote("The browser did not let this page read your clipboard."))
            }
          >
            Paste my clipboard into the guest
          </button>
        )}
      </div>
      {note && (
        <p role="status" aria-label="Clipboard" className="muted">
          {note}
        </p>
      )}
    </section>
  );
}
