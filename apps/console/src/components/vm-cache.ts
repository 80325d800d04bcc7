// Patching cached VM lists from a state event, instead of refetching them.
import type { RouterOutputs } from "@guesthouse/api";

export type VmList = RouterOutputs["vm"]["list"];
export type StateEvent = { type: "state"; vmId: string; state: string; reason: string };

/** The list with one VM's state changed, its per-state counts kept right; the same object if it is not there. */
export function patchList(list: VmList, e: StateEvent): VmList {
  const item = list.items.find((i) => i.id === e.vmId);
  if (!item || (item.state === e.state && item.stateReason === e.reason)) return list;
  const counts = { ...list.counts };
  counts[item.state] = Math.max(0, (counts[item.state] ?? 1) - 1);
  counts[e.state] = (counts[e.state] ?? 0) + 1;
  const items = list.items.map((i) => (i.id === e.vmId ? { ...i, state: e.state as typeof i.state, stateReason: e.reason } : i));
  return { ...list, counts, items };
}
