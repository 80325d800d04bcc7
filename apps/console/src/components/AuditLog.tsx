"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";
import { formatTime } from "./format";

export function AuditLog() {
  const trpc = useTRPC();
  const [filters, setFilters] = useState({ actor: "", action: "", outcome: "" as "" | "success" | "failure" | "denied", from: "", to: "" });
  const input = {
    limit: 50,
    actor: filters.actor || undefined,
    action: filters.action || undefined,
    outcome: filters.outcome || undefined,
    from: filters.from ? new Date(filters.from) : undefined,
    to: filters.to ? new Date(filters.to) : undefined,
  };
  const log = useInfiniteQuery(trpc.audit.list.infiniteQueryOptions(input, { getNextPageParam: (last) => last.nextCursor }));
  const set = (k: keyof typeof filters) => (e: { target: { value: string } }) => setFilters((f) => ({ ...f, [k]: e.target.value }));
  return (
    <>
      <h1>Audit log</h1>
      <div className="toolbar" role="search">
        <label>
          User <input value={filters.actor} onChange={set("actor")} />
        </label>
        <label>
          Action <input value={filters.action} onChange={set("action")} placeholder="e.g. vm." />
        </label>
        <label>
          Outcome{" "}
          <select value={filters.outcome} onChange={set("outcome")}>
            <option value="">any</option>
            <option>success</option>
            <option>failure</option>
            <option>denied</option>
          </select>
        </label>
        <label>
          From <input type="datetime-local" value={filters.from} onChange={set("from")} />
        </label>
        <label>
          To <input type="datetime-local" value={filters.to} onChange={set("to")} />
        </label>
      </div>
      {log.error && (
        <p role="alert" className="error">
          {log.error.message}
        </p>
      )}
      <table className="grid">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>Action</th>
            <th>VM</th>
            <th>Outcome</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {log.data?.pages
            .flatMap((p) => p.items)
            .map((e) => (
              <tr key={e.id}>
                <td>{formatTime(e.at)}</td>
                <td>{e.actorName || "system"}</td>
                <td>{e.action}</td>
                <td>{e.vmName}</td>
                <td>
                  <span className={`badge outcome-${e.outcome}`}>{e.outcome}</span>
                </td>
                <td className="detail">{e.detail ? JSON.stringify(e.detail) : ""}</td>
              </tr>
            ))}
        </tbody>
      </table>
      {log.hasNextPage && (
        <button type="button" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>
          {log.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
    </>
  );
}
