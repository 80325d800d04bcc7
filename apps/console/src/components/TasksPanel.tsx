"use client";
import Link from "next/link";
import { useState } from "react";
import { TaskList } from "./TaskList";
import { useLiveTasks } from "./useLiveTasks";

/** Proxmox's task log, at the bottom of every page: the latest operations, live. */
export function TasksPanel() {
  const tasks = useLiveTasks({ limit: 6 });
  const running = tasks.data?.filter((t) => t.state === "running").length ?? 0;
  return (
    <details className="tasks-panel" open>
      <summary>
        Tasks {running > 0 && <span className="badge task-running">{running} running</span>} · <Link href="/tasks">all tasks</Link>
      </summary>
      <TaskList tasks={tasks.data ?? []} label="Recent tasks" />
    </details>
  );
}

/** The Tasks page: every task the user may see, filtered by state or to their own. */
export function TasksPage() {
  const [state, setState] = useState<"any" | "running" | "succeeded" | "failed">("any");
  const [mine, setMine] = useState(false);
  const tasks = useLiveTasks({ state, mine, limit: 100 });
  return (
    <>
      <h1>Tasks</h1>
      <div className="row" role="group" aria-label="Filters">
        <label>
          State{" "}
          <select value={state} onChange={(e) => setState(e.target.value as typeof state)}>
            <option value="any">Any</option>
            <option value="running">Running</option>
            <option value="succeeded">Succeeded</option>
            <option value="failed">Failed</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} /> Only mine
        </label>
      </div>
      <TaskList tasks={tasks.data ?? []} label="Tasks" />
    </>
  );
}
