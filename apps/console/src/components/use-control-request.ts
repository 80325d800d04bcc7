"use client";
// One controller at a time (ADR 0050), the same for a signed-in operator and for a control share
// link's visitor: asking for control while someone holds it falls back to watching, with a notice
// naming the holder, and "Request control" asks again with takeOver, which hands control over.
import { TRPCClientError } from "@trpc/client";
import { useCallback, useRef, useState } from "react";

export type ConsoleMode = "control" | "view";

/** Fetches one display ticket in a mode; takeOver asks to take control from whoever has it. */
export type FetchTicket = (mode: ConsoleMode, takeOver: boolean) => Promise<string>;

/** The refusal a control ticket gets while someone else has control. */
function isControlHeld(error: unknown): error is TRPCClientError<never> {
  return error instanceof TRPCClientError && error.data?.code === "CONFLICT" && /has control/.test(error.message);
}

export function useControlRequest(initial: ConsoleMode, fetchTicket: FetchTicket) {
  const [mode, setMode] = useState<ConsoleMode>(initial);
  const [notice, setNotice] = useState<string | null>(null);
  const takeOver = useRef(false);
  const getTicket = useCallback(async () => {
    if (mode === "view") return fetchTicket("view", false);
    try {
      const ticket = await fetchTicket("control", takeOver.current);
      takeOver.current = false;
      setNotice(null);
      return ticket;
    } catch (error) {
      if (isControlHeld(error)) {
        setNotice(error.message);
        setMode("view"); // reconnects as a watcher
      }
      throw error;
    }
  }, [mode, fetchTicket]);
  const requestControl = useCallback(() => {
    takeOver.current = true;
    setMode("control");
  }, []);
  return { mode, setMode, notice, getTicket, requestControl };
}
