"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";
import { formatTime } from "./format";

export function VmActivity({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const events = useQuery(trpc.audit.forVm.queryOptions({ vmId, limit: 50 }));
  return (
    <table className="grid">
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
  );
}

/** A failure's reason, as the console recorded it (already in words, without host paths). */
function errorOf(detail: unknown): string {
  return detail && typeof detail === "object" && "error" in detail && typeof detail.error === "string" ? detail.error : "";
}
