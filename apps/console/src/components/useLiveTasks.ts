"use client";
// Tasks with live progress: the list is fetched once, then each task event (already filtered to
// what this user may see) replaces that task in the cached list, or puts a new one on top.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import type { RouterInputs, RouterOutputs } from "@guesthouse/api";
import { useTRPC } from "@/trpc/react";

export type TaskRow = RouterOutputs["task"]["list"][number];
type Filter = Partial<RouterInputs["task"]["list"]>;

/** A task event applied to one cached list: replaced in place, or added on top if it matches the filter. */
export function upsertTask(list: TaskRow[], task: TaskRow, filter: Filter): TaskRow[] {
  const i = list.findIndex((t) => t.id === task.id);
  if (i >= 0) return list.map((t) => (t.id === task.id ? task : t));
  if (filter.vmId && task.vmId !== filter.vmId) return list;
  if (filter.state && filter.state !== "any" && task.state !== filter.state) return list;
  return [task, ...list].slice(0, filter.limit ?? 30);
}

export function useLiveTasks(filter: Filter) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = trpc.task.list.queryOptions(filter);
  const tasks = useQuery(options);
  useSubscription(
    trpc.task.events.subscriptionOptions(undefined, {
      onData: (envelope) => {
        const task = ("data" in envelope ? envelope.data : envelope) as unknown as TaskRow;
        if (filter.mine) return void queryClient.invalidateQueries({ queryKey: options.queryKey });
        queryClient.setQueryData<TaskRow[]>(options.queryKey, (old) => (old ? upsertTask(old, task, filter) : old));
      },
    }),
  );
  return tasks;
}
