"use client";
// Live VM state without polling: every VM event the server streams (already filtered to what this
// user may see) refreshes the VM queries on screen.
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";

export function useLiveVms(): "connecting" | "live" | "reconnecting" {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<"connecting" | "live" | "reconnecting">("connecting");
  useSubscription(
    trpc.vm.events.subscriptionOptions(undefined, {
      onStarted: () => setStatus("live"),
      onData: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.vm.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.host.overview.queryKey() });
      },
      onError: () => setStatus("reconnecting"),
    }),
  );
  return status;
}
