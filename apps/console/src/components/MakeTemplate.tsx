"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";
import { ConfirmDialog } from "./ConfirmDialog";

/** Turns this VM into a template; from a running VM the template keeps its RAM (instant clones). */
export function MakeTemplate({ vmId, state }: { vmId: string; state: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const make = useMutation(trpc.template.fromVm.mutationOptions({ onSuccess: () => router.push("/templates") }));
  const label = state === "running" ? "Make template (with RAM)" : "Make template";
  return (
    <div className="toolbar" role="group" aria-label="Make template">
      <label>
        Template name
        <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <ConfirmDialog
        trigger={
          <button type="button" disabled={make.isPending || !name}>
            {label}
          </button>
        }
        title={`Make the VM into template '${name}'?`}
        confirmLabel={label}
        pendingLabel="Making template…"
        onConfirm={() => make.mutateAsync({ vmId, name })}
      >
        <p>The VM becomes a read-only template and leaves the VM list; new VMs are made from it by cloning.</p>
      </ConfirmDialog>
    </div>
  );
}
