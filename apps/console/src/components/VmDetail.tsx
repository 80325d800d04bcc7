"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";
import { PowerButtons } from "./PowerButtons";
import { DiscardSaved } from "./DiscardSaved";
import { StateBadge } from "./StateBadge";
import { VmOverview } from "./VmOverview";
import { VmConsole } from "./VmConsole";
import { VmSerial } from "./VmSerial";
import { ScopeAccess } from "./ScopeAccess";
import { VmSettings } from "./VmSettings";
import { VmSnapshots } from "./VmSnapshots";
import { VmNetwork } from "./VmNetwork";
import { UndoChoice } from "./VmUndo";
import { VmActivity } from "./VmActivity";
import { useLiveVms } from "./useLiveVms";

const TABS = ["Overview", "Console", "Serial", "Network", "Snapshots", "Settings", "Access", "Activity"] as const;
type Tab = (typeof TABS)[number];

export function VmDetail({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  useLiveVms();
  const vm = useQuery(trpc.vm.get.queryOptions({ vmId }));
  const me = useQuery(trpc.auth.me.queryOptions());
  const [tab, setTab] = useState<Tab>("Overview");
  if (vm.error)
    return (
      <p role="alert" className="error">
        {vm.error.message}
      </p>
    );
  if (!vm.data) return <p className="muted">Loading…</p>;
  const perms = new Set(vm.data.permissions);
  // A tab is shown only to whoever may use it.
  const allowed: Record<Tab, boolean> = {
    Overview: true,
    Console: perms.has("vm.console") || perms.has("vm.console.view"),
    Serial: perms.has("vm.console"),
    Network: true,
    Snapshots: true,
    Settings: perms.has("vm.config") || perms.has("vm.delete"),
    Access: me.data?.permissions.includes("user.admin") ?? false,
    Activity: true,
  };
  const visible = TABS.filter((t) => allowed[t]);
  return (
    <>
      <div className="title-row">
        <h1>{vm.data.name}</h1>
        <StateBadge state={vm.data.state} reason={vm.data.stateReason} />
        <PowerButtons vmId={vmId} name={vm.data.name} state={vm.data.state} permissions={vm.data.permissions} />
        <DiscardSaved vmId={vmId} name={vm.data.name} state={vm.data.state} canPower={perms.has("vm.power")} />
      </div>
      <UndoChoice vmId={vmId} state={vm.data.state} canPower={perms.has("vm.power")} />
      <div role="tablist" aria-label="VM sections" className="tabs">
        {visible.map((t) => (
          <button key={t} role="tab" type="button" aria-selected={tab === t} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={tab}>
        {tab === "Overview" && <VmOverview vm={vm.data} />}
        {tab === "Console" && <VmConsole vmId={vmId} state={vm.data.state} canControl={perms.has("vm.console")} />}
        {tab === "Serial" && <VmSerial key={vm.data.state} vmId={vmId} /* a new stream for each boot */ />}
        {tab === "Network" && (
          <VmNetwork vmId={vmId} name={vm.data.name} state={vm.data.state} profile={vm.data.profile} canConfig={perms.has("vm.config")} />
        )}
        {tab === "Snapshots" && <VmSnapshots vmId={vmId} canSnapshot={perms.has("vm.snapshot")} />}
        {tab === "Settings" && <VmSettings vm={vm.data} />}
        {tab === "Access" && (
          <ScopeAccess scope={{ vmId }} roleHeader="Role on this VM" emptyText="Only users with a global role can reach this VM." />
        )}
        {tab === "Activity" && <VmActivity vmId={vmId} />}
      </div>
    </>
  );
}
