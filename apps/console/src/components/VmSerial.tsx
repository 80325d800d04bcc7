"use client";
// The VM's serial port in xterm.js: output streams from the host, keystrokes go back to it.
import { useMutation } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useRef, useState } from "react";
import type { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useTRPC } from "@/trpc/react";

// ESC [ row ; col R, built from a string so the pattern holds no raw control character.
const CURSOR_REPORT = new RegExp(String.fromCharCode(27) + "\\[\\d+;\\d+R", "g");

export function VmSerial({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const pending = useRef<Uint8Array[]>([]);
  const [status, setStatus] = useState("connecting");
  const write = useMutation(trpc.serial.write.mutationOptions());
  // Keystrokes go out one request at a time, in order: parallel requests may arrive reordered.
  const outbox = useRef({ pending: "", sending: false });
  const send = useRef<(data: string) => void>(() => {});
  send.current = (data: string) => {
    const box = outbox.current;
    box.pending += data;
    if (box.sending) return;
    const flush = async () => {
      box.sending = true;
      while (box.pending) {
        const chunk = box.pending.slice(0, 4096);
        box.pending = box.pending.slice(chunk.length);
        await write.mutateAsync({ vmId, data: chunk }).catch((e: Error) => setStatus(`typing not delivered: ${e.message}`));
      }
      box.sending = false;
    };
    void flush();
  };

  useEffect(() => {
    let disposed = false;
    let dispose = () => {};
    void import("@xterm/xterm").then(({ Terminal }) => {
      if (disposed || !box.current) return;
      const t = new Terminal({ convertEol: false, fontSize: 14, rows: 30, cols: 100, theme: { background: "#111" } });
      t.open(box.current);
      // xterm answers cursor-position queries (ESC[6n, which busybox sends after each prompt) by
      // "typing" ESC[row;colR. Replayed old output would make it answer stale queries into the new
      // shell's input line, so those answers are not sent; the shell works without them.
      const input = t.onData((data) => {
        const typed = data.replace(CURSOR_REPORT, "");
        if (typed) send.current(typed);
      });
      term.current = t;
      for (const chunk of pending.current.splice(0)) t.write(chunk);
      dispose = () => {
        input.dispose();
        t.dispose();
      };
    });
    return () => {
      disposed = true;
      term.current = null;
      dispose();
    };
  }, [vmId]);

  useSubscription(
    trpc.serial.stream.subscriptionOptions(
      { vmId },
      {
        onStarted: () => setStatus("connected"),
        onData: (base64) => {
          const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
          if (term.current) term.current.write(bytes);
          else pending.current.push(bytes);
        },
        onError: (e) => setStatus(`disconnected: ${e.message}`),
      },
    ),
  );
  return (
    <div className="serial">
      <p role="status" className="muted">
        Serial console: {status}
      </p>
      <div ref={box} data-testid="serial-terminal" />
    </div>
  );
}
