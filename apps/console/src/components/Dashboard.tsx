"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";
import { formatBytes, formatTime } from "./format";
import { useLiveVms } from "./useLiveVms";

export function Dashboard() {
  const trpc = useTRPC();
  useLiveVms();
  const overview = useQuery(trpc.host.overview.queryOptions());
  const me = useQuery(trpc.auth.me.queryOptions());
  const canAudit = me.data?.permissions.includes("audit.view") ?? false;
  const recent = useQuery({ ...trpc.audit.list.queryOptions({ limit: 8 }), enabled: canAudit });
  const counts = overview.data?.counts ?? {};
  const running = counts.running ?? 0;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return (
    <>
      <h1>Dashboard</h1>
      <section className="cards" aria-label="Summary">
        <div className="card">
          <h2>Virtual machines</h2>
          <p className="big">{overview.isLoading ? "…" : total}</p>
          <p className="muted">
            {running} running · {total - running} not running · <Link href="/vms">see all</Link>
          </p>
        </div>
        {overview.data?.hosts.map((h) => (
          <div className="card" key={h.id}>
            <h2>Host {h.name}</h2>
            {h.info ? (
              <>
                <p className="big">{h.info.cores} cores</p>
                <p className="muted">
                  {formatBytes(h.info.memFreeBytes)} free of {formatBytes(h.info.memTotalBytes)} RAM
                  {h.info.qemuVersion && ` · QEMU ${h.info.qemuVersion}`}
                </p>
                <p data-testid="accel-summary">{h.info.cpu.summary}</p>
                <p className="muted">
                  CPU models:{" "}
                  {h.info.cpu.models
                    .filter((m) => m.usable)
                    .map((m) => m.id)
                    .join(", ") || "none"}
                </p>
              </>
            ) : (
              <p className="error">Host service is offline</p>
            )}
          </div>
        ))}
      </section>
      {canAudit && (
        <section aria-labelledby="recent">
          <h2 id="recent">Recent events</h2>
          <ul className="events">
            {recent.data?.items.map((e) => (
              <li key={e.id}>
                <time>{formatTime(e.at)}</time> <strong>{e.actorName || "system"}</strong> {e.action} {e.vmName && <em>{e.vmName}</em>}{" "}
                <span className={`badge outcome-${e.outcome}`}>{e.outcome}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
