"use client";
// The Settings tab's danger zone: delete the VM and its disks, after typing its name. A VM that
// runs or that someone is watching is powered off and its viewers disconnected first (force),
// and the dialog says so before anything happens.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { TRPCClientError } from "@trpc/client";
import { useState } from "react";
import type { RouterOutputs } from "@guesthouse/api";
import { useTRPC } from "@/trpc/react";
import { ConfirmDialog } from "./ConfirmDialog";
import { formatBytes } from "./format";

type Vm = RouterOutputs["vm"]["get"];

export function VmDelete({ vm }: { vm: Vm }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const viewers = useQuery(trpc.display.viewers.queryOptions({ vmId: vm.id }));
  const remove = useMutation(trpc.vm.delete.mutationOptions());
  // Set when the server refused for a reason the page did not know yet (someone started it or began watching).
  const [refused, setRefused] = useState(false);
  const running = vm.state !== "stopped" && vm.state !== "suspended";
  const watchers = viewers.data ?? [];
  const force = running || watchers.length > 0 || refused;
  const confirm = async () => {
    try {
      await remove.mutateAsync({ vmId: vm.id, force });
    } catch (error) {
      if (error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === "CONFLICT") setRefused(true);
      throw error;
    }
    router.push("/vms");
    await queryClient.invalidateQueries({ queryKey: trpc.vm.list.queryKey() });
  };
  const disks = vm.disks.map((d) => `#${d.slot} (${formatBytes(d.sizeBytes)})`).join(", ");
  const label = running
    ? "Power off and delete"
    : watchers.length
      ? "Disconnect viewers and delete"
      : refused
        ? "Delete anyway"
        : "Delete VM";
  return (
    <section aria-labelledby="danger-h" className="danger-zone">
      <h2 id="danger-h">Danger zone</h2>
      <p className="muted">Deleting a VM removes it, its disks and its snapshots for good.</p>
      <ConfirmDialog
        trigger={
          <button type="button" className="danger">
            Delete VM…
          </button>
        }
        title={`Delete VM '${vm.name}'?`}
        confirmLabel={label}
        pendingLabel="Deleting…"
        typeToConfirm={vm.name}
        onConfirm={confirm}
        onOpenChange={(open) => {
          if (open) void viewers.refetch();
          else setRefused(false);
        }}
      >
        <p>
          {vm.disks.length ? `Its ${vm.disks.length === 1 ? "disk" : "disks"} ${disks}` : "Its configuration"}, its snapshots and any saved
          state are deleted. This cannot be undone.
        </p>
        {running && (
          <p>
            <strong>It is {vm.state}:</strong> it is powered off first, and whatever it has not written to disk is lost.
          </p>
        )}
        {watchers.length > 0 && (
          <p>
            <strong>
              {watchers.length} {watchers.length === 1 ? "person is" : "people are"} watching its console
            </strong>{" "}
            ({[...new Set(watchers.map((w) => w.userEmail))].join(", ")}): they are disconnected and told why.
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}
