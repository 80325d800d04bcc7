"use client";
import Link from "next/link";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";
import { StateBadge } from "./StateBadge";
import { useLiveVms } from "./useLiveVms";

type Sort = "name" | "state" | "createdAt" | "memoryMiB";

export function VmList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const live = useLiveVms();
  const [search, setSearch] = useState("");
  const [state, setState] = useState<"any" | "running" | "stopped" | "paused" | "suspended">("any");
  const [sort, setSort] = useState<{ by: Sort; dir: "asc" | "desc" }>({ by: "name", dir: "asc" });
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const list = useQuery({
    ...trpc.vm.list.queryOptions({ search, state, sort: sort.by, dir: sort.dir, page, pageSize: 50 }),
    placeholderData: keepPreviousData,
    // A lease is no VM event: while a running VM with a NIC has no address yet, look again.
    refetchInterval: (q) =>
      q.state.data?.items.some((v) => v.state === "running" && v.hasNics && v.addresses.length === 0) ? 2000 : false,
  });
  const me = useQuery(trpc.auth.me.queryOptions());
  const start = useMutation(trpc.vm.start.mutationOptions());
  const stop = useMutation(trpc.vm.shutdown.mutationOptions());
  const [bulkError, setBulkError] = useState<string | null>(null);

  const bulk = async (action: "start" | "stop") => {
    setBulkError(null);
    const ids = [...selected].filter((id) => list.data?.items.find((v) => v.id === id)?.permissions.includes("vm.power"));
    const results = await Promise.allSettled(ids.map((vmId) => (action === "start" ? start : stop).mutateAsync({ vmId })));
    const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    if (failed.length) setBulkError(failed.map((f) => (f.reason as Error).message).join("; "));
    void queryClient.invalidateQueries({ queryKey: trpc.vm.pathKey() });
  };
  const sortBy = (by: Sort) => setSort((s) => ({ by, dir: s.by === by && s.dir === "asc" ? "desc" : "asc" }));
  const header = (by: Sort, label: string) => (
    <th aria-sort={sort.by === by ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}>
      <button type="button" className="link" onClick={() => sortBy(by)}>
        {label} {sort.by === by ? (sort.dir === "asc" ? "▲" : "▼") : ""}
      </button>
    </th>
  );
  const pages = list.data ? Math.max(1, Math.ceil(list.data.total / list.data.pageSize)) : 1;
  return (
    <>
      <div className="title-row">
        <h1>Virtual machines</h1>
        <span className={`live live-${live}`}>{live === "live" ? "● live" : live}</span>
        {me.data?.permissions.includes("vm.create") && (
          <Link className="button primary" href="/vms/new">
            New VM
          </Link>
        )}
      </div>
      <div className="toolbar" role="search">
        <label>
          Search{" "}
          <input
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setPage(1);
            }}
            placeholder="name…"
          />
        </label>
        <label>
          State{" "}
          <select
            value={state}
            onChange={(e) => {
              setState(e.target.value as typeof state);
              setPage(1);
            }}
          >
            {["any", "running", "stopped", "paused", "suspended"].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <button type="button" disabled={!selected.size || start.isPending} onClick={() => void bulk("start")}>
          Start selected
        </button>
        <button type="button" disabled={!selected.size || stop.isPending} onClick={() => void bulk("stop")}>
          Shut down selected
        </button>
      </div>
      {bulkError && (
        <p role="alert" className="error">
          {bulkError}
        </p>
      )}
      <table className="grid">
        <thead>
          <tr>
            <th>
              <span className="sr-only">Select</span>
            </th>
            {header("name", "Name")}
            {header("state", "State")}
            <th>OS / template</th>
            <th>CPU</th>
            {header("memoryMiB", "RAM")}
            <th>Address</th>
            <th>Host</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((vm) => (
            <tr key={vm.id} data-vm={vm.name}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select ${vm.name}`}
                  checked={selected.has(vm.id)}
                  onChange={(e) =>
                    setSelected((s) => {
                      const n = new Set(s);
                      if (e.target.checked) n.add(vm.id);
                      else n.delete(vm.id);
                      return n;
                    })
                  }
                />
              </td>
              <td>
                <Link href={`/vms/${vm.id}`}>{vm.name}</Link>
              </td>
              <td>
                <StateBadge state={vm.state} reason={vm.stateReason} />
              </td>
              <td>{vm.osLabel || "—"}</td>
              <td>{vm.cpus}</td>
              <td>{vm.memoryMiB} MiB</td>
              <td data-testid="vm-addresses">{vm.addresses.join(", ") || "—"}</td>
              <td>{vm.host.name}</td>
            </tr>
          ))}
          {list.data?.items.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No virtual machines{search || state !== "any" ? " match" : " yet"}.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
          Previous
        </button>
        <span>
          Page {page} of {pages} · {list.data?.total ?? 0} VMs
        </span>
        <button type="button" disabled={page >= pages} onClick={() => setPage((p) => p + 1)}>
          Next
        </button>
      </div>
    </>
  );
}
