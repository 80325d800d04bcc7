"use client";
// The VM's serial port in xterm.js: output streams from the host, keystrokes go back to it.
import { useMutation } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useRef, useState } from "react";
import type { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useTRPC } from "@/trpc/react";

export function VmSerial({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const pending = useRef<Uint8Array[]>([]);
  const [status, setStatus] = useState("connecting");
  const write = useMutation(trpc.serial.write.mutationOptions());
  const writeRef = useRef(write.mutate);
  writeRef.current = write.mutate;

  useEffect(() => {
    let disposed = false;
    let dispose = () => {};
    void import("@xterm/xterm").then(({ Terminal }) => {
      if (disposed || !box.current) return;
      const t = new Terminal({ convertEol: false, fontSize: 14, rows: 30, cols: 100, theme: { background: "#111" } });
      t.open(box.current);
      const input = t.onData((data) => writeRef.current({ vmId, data }));
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
