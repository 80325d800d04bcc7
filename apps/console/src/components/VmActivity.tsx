"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";
import { formatTime } from "./format";
import { TaskList } from "./TaskList";
import { useLiveTasks } from "./useLiveTasks";

export function VmActivity({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const events = useQuery(trpc.audit.forVm.queryOptions({ vmId, limit: 50 }));
  const tasks = useLiveTasks({ vmId, limit: 20 });
  return (
    <>
      <h2>Tasks</h2>
      <TaskList tasks={tasks.data ?? []} showVm={false} label="This VM's tasks" />
      <h2>Events</h2>
      <table className="grid" aria-label="This VM's events">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>Action</th>
            <th>Outcome</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {events.data?.map((e) => (
            <tr key={e.id}>
              <td>{formatTime(e.at)}</td>
              <td>{e.actorName || "system"}</td>
              <td>{e.action}</td>
              <td>
                <span className={`badge outcome-${e.outcome}`}>{e.outcome}</span>
              </td>
              <td>{errorOf(e.detail)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** A failure's reason, as the console recorded it (already in words, without host paths). */
function errorOf(detail: unknown): string {
  return detail && typeof detail === "object" && "error" in detail && typeof detail.error === "string" ? detail.error : "";
}
