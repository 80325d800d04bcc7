"use client";
// The Hosts page (host.admin): each host's state, capacity (its last heartbeat), networks and VMs;
// a one-time join token to register another machine, shown once, and the recent ones
// (JoinTokens.tsx); maintenance on and off, which empties the host and offers to bring its guests
// back (HostMaintenance.tsx, ADR 0052); moving some or all of its VMs to a chosen host
// (HostMoveVms.tsx); removal, which the server refuses while the host holds anything.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatJoinValue } from "@guesthouse/shared/join-value";
import { useTRPC } from "@/trpc/react";
import { ConfirmDialog } from "./ConfirmDialog";
import { EvacuationProgress, MaintenanceSwitch } from "./HostMaintenance";
import { JoinTokens } from "./JoinTokens";
import { HostMoveVms } from "./HostMoveVms";
import { formatBytes, formatTime } from "./format";

function JoinToken({ token, expiresAt, consoleCertSha256, onDone }: JoinTokenShown & { onDone: () => void }) {
  const origin = typeof window === "undefined" ? "" : window.location.origin;
  const join = formatJoinValue(origin, token, consoleCertSha256);
  const overHttps = origin.startsWith("https://");
  return (
    <section className="panel" aria-label="Join token">
      <h2>Join token</h2>
      <p>
        Shown once; it works for one host, until {formatTime(expiresAt)}. On the new machine, start the host service with it (from a
        checkout of Guesthouse):
      </p>
      <pre className="command" data-testid="join-command">
        {`GUESTHOUSE_JOIN='${join}' HOST_NAME=<name> HOST_BIND=0.0.0.0 HOST_PUBLIC_URL=http://<its-address>:3001 npm run host`}
      </pre>
      {overHttps ? (
        <p>
          The command names this console&apos;s certificate (SHA-256 {consoleCertSha256}): the host trusts that certificate and no other, so
          a self-signed one is fine.
        </p>
      ) : (
        <p role="note" className="warning">
          This page was opened over plain http, so the command does too: the token and the host&apos;s credential would cross the network
          unencrypted. Open the console over https to get a command pinned to its certificate.
        </p>
      )}
      <p>
        It trades the token for a credential of its own, kept in its data folder, and appears here within seconds. The token itself:{" "}
        <code data-testid="join-token">{token}</code>
      </p>
      <button type="button" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

type JoinTokenShown = { token: string; expiresAt: Date; consoleCertSha256: string | null };

export function Hosts() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery({ ...trpc.host.list.queryOptions(), refetchInterval: 3000 });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.host.list.queryKey() });
  const makeToken = useMutation(trpc.host.createJoinToken.mutationOptions());
  const remove = useMutation(trpc.host.remove.mutationOptions({ onSuccess: refresh }));
  const [shown, setShown] = useState<JoinTokenShown | null>(null);

  return (
    <>
      <h1>Hosts</h1>
      <div className="toolbar">
        <button
          type="button"
          disabled={makeToken.isPending}
          onClick={() =>
            makeToken.mutate(
              {},
              {
                onSuccess: (t) => {
                  setShown(t);
                  void queryClient.invalidateQueries({ queryKey: trpc.host.joinTokens.queryKey() });
                },
              },
            )
          }
        >
          {makeToken.isPending ? "Making…" : "Add a host (join token)"}
        </button>
      </div>
      {shown && <JoinToken {...shown} onDone={() => setShown(null)} />}
      {[makeToken.error, list.error].map(
        (e, i) =>
          e && (
            <p key={i} role="alert" className="error">
              {e.message}
            </p>
          ),
      )}
      <table className="grid compact">
        <thead>
          <tr>
            <th>Name</th>
            <th>State</th>
            <th>CPUs</th>
            <th>RAM (free / total)</th>
            <th>Free disk</th>
            <th>Accelerator</th>
            <th>CPU models</th>
            <th>Networks</th>
            <th>VMs</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data?.map((h) => (
            <tr key={h.id} data-host={h.name}>
              <td>
                {h.name}
                <br />
                <small>{h.url}</small>
              </td>
              <td data-testid="host-state">
                {h.state === "offline" ? "not reporting yet" : h.state}
                {h.maintenance ? " · maintenance" : ""}
                {h.lastSeenAt && (
                  <>
                    <br />
                    <small>seen {formatTime(h.lastSeenAt)}</small>
                  </>
                )}
              </td>
              <td data-testid="host-cpus">{h.cores || "—"}</td>
              <td data-testid="host-ram">
                {h.memoryBytes ? `${formatBytes(Number(h.memoryFreeBytes))} / ${formatBytes(Number(h.memoryBytes))}` : "—"}
              </td>
              <td>{h.diskFreeBytes ? formatBytes(Number(h.diskFreeBytes)) : "—"}</td>
              <td data-testid="host-accel">{h.lastSeenAt ? (h.kvm ? "KVM" : "TCG (no KVM)") : "—"}</td>
              <td>{h.cpuModels.join(", ") || "—"}</td>
              <td>{h.networks.map((n) => n.name).join(", ") || "—"}</td>
              <td data-testid="host-vms">
                {h.counts.vms}
                {h.counts.vms > 0 && (
                  <small>
                    {" "}
                    (
                    {Object.entries(h.counts.byState)
                      .map(([s, n]) => `${n} ${s}`)
                      .join(", ")}
                    )
                  </small>
                )}
              </td>
              <td>
                <MaintenanceSwitch host={h} /> <HostMoveVms host={h} others={(list.data ?? []).filter((o) => o.id !== h.id)} />{" "}
                <ConfirmDialog
                  trigger={<button type="button">Remove</button>}
                  title={`Remove host '${h.name}'?`}
                  confirmLabel="Remove host"
                  pendingLabel="Removing…"
                  onConfirm={() => remove.mutateAsync({ hostId: h.id })}
                >
                  <p>
                    The console forgets the host and its credential. A host that still holds VMs, templates, ISOs or networks is not
                    removed.
                  </p>
                </ConfirmDialog>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data?.map((h) => (
        <EvacuationProgress key={h.id} hostId={h.id} hostName={h.name} />
      ))}
      <JoinTokens />
      <p>
        <small>
          In maintenance a host takes no new VMs, and its guests move to the other hosts: running ones live, stopped ones cold. A guest no
          other host can take stays, with the reason. A host that misses its heartbeats is shown unreachable, and its VMs unknown until it
          answers again.
        </small>
      </p>
    </>
  );
}
