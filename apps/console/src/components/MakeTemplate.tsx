"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/trpc/react";

/** Turns this VM into a template; from a running VM the template keeps its RAM (instant clones). */
export function MakeTemplate({ vmId, state }: { vmId: string; state: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const make = useMutation(trpc.template.fromVm.mutationOptions({ onSuccess: () => router.push("/templates") }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (window.confirm("The VM becomes a read-only template and leaves the VM list. Continue?")) make.mutate({ vmId, name });
  };
  return (
    <form onSubmit={submit} className="toolbar" aria-label="Make template">
      <label>
        Template name
        <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <button type="submit" disabled={make.isPending || !name}>
        {make.isPending ? "Making template…" : state === "running" ? "Make template (with RAM)" : "Make template"}
      </button>
      {make.error && (
        <span role="alert" className="error">
          {make.error.message}
        </span>
      )}
    </form>
  );
}
