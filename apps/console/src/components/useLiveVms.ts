"use client";
// Live VM state without polling: the server streams VM events (already filtered to what this user
// may see). A state change patches the VM's entry in the cached lists and detail in place; only a
// VM appearing or going makes the lists and counts refetch.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";
import type { RouterOutputs } from "@guesthouse/api";
import { useTRPC } from "@/trpc/react";

import { patchList, type StateEvent, type VmList } from "./vm-cache";

type VmDetail = RouterOutputs["vm"]["get"];

function applyState(queryClient: QueryClient, keys: { list: readonly unknown[]; get: readonly unknown[] }, e: StateEvent) {
  queryClient.setQueriesData<VmList>({ queryKey: keys.list }, (old) => (old ? patchList(old, e) : old));
  queryClient.setQueryData<VmDetail>(keys.get, (old) =>
    old ? { ...old, state: e.state as VmDetail["state"], stateReason: e.reason } : old,
  );
}

/** A tRPC query key (`[path, { input }]`) whose input names this VM. */
function aboutVm(key: readonly unknown[], vmId: string): boolean {
  const input = (key[1] as { input?: { vmId?: unknown } } | undefined)?.input;
  return input?.vmId === vmId;
}
const sameKey = (a: readonly unknown[], b: readonly unknown[]) => JSON.stringify(a) === JSON.stringify(b);

export function useLiveVms(): "connecting" | "live" | "reconnecting" {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<"connecting" | "live" | "reconnecting">("connecting");
  useSubscription(
    trpc.vm.events.subscriptionOptions(undefined, {
      onStarted: () => setStatus("live"),
      onData: (envelope) => {
        const event = ("data" in envelope ? envelope.data : envelope) as StateEvent | { type: "created" | "deleted"; vmId: string };
        if (event.type === "state") {
          const get = trpc.vm.get.queryKey({ vmId: event.vmId });
          applyState(queryClient, { list: trpc.vm.list.pathKey(), get }, event);
          // What else is shown of this one VM (live figures, undo choice, snapshots) follows its new state.
          void queryClient.invalidateQueries({ predicate: (q) => aboutVm(q.queryKey, event.vmId) && !sameKey(q.queryKey, get) });
        } else {
          void queryClient.invalidateQueries({ queryKey: trpc.vm.list.pathKey() });
        }
        void queryClient.invalidateQueries({ queryKey: trpc.host.overview.queryKey() });
      },
      onError: () => setStatus("reconnecting"),
    }),
  );
  return status;
}
