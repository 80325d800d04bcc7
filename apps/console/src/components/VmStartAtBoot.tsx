"use client";
// Start at boot: the console starts the VM when its host's machine has booted again, lowest order
// first (Proxmox's "Start at boot" and "Start/Shutdown order"). Changeable in any power state.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { VmAutostartInput } from "@guesthouse/shared/console-api";
import { useTRPC } from "@/trpc/react";

export function VmStartAtBoot({ vm }: { vm: { id: string; autostart: boolean; startOrder: number } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [order, setOrder] = useState(String(vm.startOrder));
  const set = useMutation(
    trpc.vm.setAutostart.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.vm.get.queryKey({ vmId: vm.id }) }),
    }),
  );
  const [invalid, setInvalid] = useState("");
  const save = (autostart: boolean) => {
    const parsed = VmAutostartInput.safeParse({ autostart, startOrder: order });
    setInvalid(parsed.success ? "" : (parsed.error.issues[0]?.message ?? "Start order is a whole number"));
    if (parsed.success) set.mutate({ vmId: vm.id, ...parsed.data });
  };
  return (
    <section aria-labelledby="boot-h">
      <h2 id="boot-h">Start at boot</h2>
      <fieldset disabled={set.isPending}>
        <label className="inline">
          <input type="checkbox" checked={vm.autostart} onChange={(e) => save(e.target.checked)} /> Start this VM when its host&apos;s
          machine has booted again
        </label>
        <label htmlFor="start-order">Start order (lower starts first)</label>
        <input
          id="start-order"
          inputMode="numeric"
          value={order}
          onChange={(e) => setOrder(e.target.value)}
          onBlur={() => save(vm.autostart)}
        />
      </fieldset>
      {(invalid || set.error) && (
        <p role="alert" className="error">
          {invalid || set.error?.message}
        </p>
      )}
    </section>
  );
}
