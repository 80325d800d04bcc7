"use client";
// Maintenance on the Hosts page (ADR 0052): entering it says how many guests will move and where
// (the evacuation's own planner, host.evacuationPreview) and which cannot, and why; leaving it
// offers to move the guests back; the host's latest evacuation or move-back shows a row per guest
// with its state, target, its own move's percent, and the reason when it stayed.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";
import { ConfirmDialog } from "./ConfirmDialog";

function Preview({ hostId, direction }: { hostId: string; direction: "evacuate" | "return" }) {
  const trpc = useTRPC();
  const plan = useQuery(trpc.host.evacuationPreview.queryOptions({ hostId, direction }));
  if (plan.isPending) return <p>Working out where each guest goes…</p>;
  if (plan.error) return <p role="alert">{plan.error.message}</p>;
  const { moves, refused } = plan.data;
  const verb = direction === "evacuate" ? "will move" : "will move back";
  return (
    <div data-testid="evacuation-preview">
      <p>{moves.length === 0 ? `No guest ${verb}.` : `${moves.length} guest${moves.length === 1 ? "" : "s"} ${verb}:`}</p>
      {moves.length > 0 && (
        <ul>
          {moves.map((m) => (
            <li key={m.vmId}>
              {m.vmName} → {m.targetName} ({m.mode === "live" ? "live, it keeps running" : "cold, it is stopped"}; {m.memoryMiB} MiB)
            </li>
          ))}
        </ul>
      )}
      {refused.length > 0 && (
        <>
          <p>{refused.length === 1 ? "One guest cannot move and stays here:" : `${refused.length} guests cannot move and stay here:`}</p>
          <ul>
            {refused.map((r) => (
              <li key={r.vmId}>
                {r.vmName}: {r.reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/** "Enter maintenance…" or "Leave maintenance…", with the preview of what moves. */
export function MaintenanceSwitch({ host }: { host: { id: string; name: string; maintenance: boolean } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [moveBack, setMoveBack] = useState(true);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.host.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.host.evacuation.queryKey({ hostId: host.id }) }),
    ]);
  const set = useMutation(trpc.host.setMaintenance.mutationOptions({ onSuccess: refresh }));
  if (!host.maintenance)
    return (
      <ConfirmDialog
        trigger={<button type="button">Enter maintenance…</button>}
        title={`Put host '${host.name}' in maintenance?`}
        confirmLabel="Enter maintenance"
        pendingLabel="Starting…"
        onOpenChange={setOpen}
        onConfirm={() => set.mutateAsync({ hostId: host.id, on: true })}
      >
        <p>It takes no new VMs, and its guests move to the other hosts, two at a time, larger ones first.</p>
        {open && <Preview hostId={host.id} direction="evacuate" />}
      </ConfirmDialog>
    );
  return (
    <ConfirmDialog
      trigger={<button type="button">Leave maintenance…</button>}
      title={`Take host '${host.name}' out of maintenance?`}
      confirmLabel="Leave maintenance"
      pendingLabel="Leaving…"
      onOpenChange={setOpen}
      onConfirm={() => set.mutateAsync({ hostId: host.id, on: false, moveBack })}
    >
      <p>It takes new VMs again.</p>
      <label>
        <input type="checkbox" checked={moveBack} onChange={(e) => setMoveBack(e.target.checked)} /> Move guests back
      </label>
      {open && moveBack && <Preview hostId={host.id} direction="return" />}
    </ConfirmDialog>
  );
}

const STATE_WORDS: Record<string, string> = {
  queued: "waiting",
  moving: "moving",
  moved: "moved",
  failed: "failed",
  cancelled: "cancelled",
  refused: "cannot move",
};

/** The host's latest evacuation or move-back, live while it runs; nothing when it never had one. */
export function EvacuationProgress({ hostId, hostName }: { hostId: string; hostName: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const evac = useQuery({
    ...trpc.host.evacuation.queryOptions({ hostId }),
    refetchInterval: (q) => (q.state.data?.state === "running" ? 700 : 5000),
  });
  const cancel = useMutation(
    trpc.host.evacuationCancel.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.host.evacuation.queryKey({ hostId }) }),
    }),
  );
  const e = evac.data;
  if (!e) return null;
  const title = e.kind === "host.moveBack" ? `Moving guests back to '${hostName}'` : `Emptying '${hostName}' for maintenance`;
  return (
    <section aria-label={`${title}`} className="evacuation" data-testid="evacuation">
      <h2>
        {title}: {e.done} of {e.total} moved{e.state === "running" ? "" : ` · ${e.state}`}
      </h2>
      <progress max={100} value={e.progress} aria-label={`${hostName} evacuation progress`} />
      {e.state === "running" && (
        <button type="button" disabled={cancel.isPending} onClick={() => cancel.mutate({ hostId })}>
          {cancel.isPending ? "Cancelling…" : "Cancel"}
        </button>
      )}
      {cancel.error && <p role="alert">{cancel.error.message}</p>}
      <table className="grid">
        <thead>
          <tr>
            <th>VM</th>
            <th>State</th>
            <th>To</th>
            <th>Progress</th>
            <th>Why</th>
          </tr>
        </thead>
        <tbody>
          {e.guests.map((g) => (
            <tr key={g.vmId} data-testid="evacuation-guest">
              <td>{g.vmName}</td>
              <td data-testid="evacuation-guest-state">{STATE_WORDS[g.state] ?? g.state}</td>
              <td>{g.targetName || "—"}</td>
              <td>
                {g.state === "refused" ? (
                  "—"
                ) : (
                  <>
                    <progress max={100} value={g.percent} aria-label={`${g.vmName} move progress`} /> {g.percent}%
                    {g.downtimeMs !== null && <small> · {g.downtimeMs} ms downtime</small>}
                  </>
                )}
              </td>
              <td>{g.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
