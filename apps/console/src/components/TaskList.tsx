"use client";
import { Fragment, useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";
import { formatTime } from "./format";
import type { TaskRow } from "./useLiveTasks";

type LogLine = { at: string; line: string };

/** Tasks as a table: live progress, outcome, and each one's log and error on demand. */
export function TaskList({ tasks, showVm = true, label }: { tasks: TaskRow[]; showVm?: boolean; label: string }) {
  const [open, setOpen] = useState<string | null>(null);
  const trpc = useTRPC();
  // The row itself changes to "cancelled" from the task stream; only a refusal needs showing here.
  const cancel = useMutation(trpc.task.cancel.mutationOptions());
  if (tasks.length === 0) return <p className="muted">No tasks yet.</p>;
  return (
    <>
      {cancel.error && (
        <p role="alert" className="error">
          {cancel.error.message}
        </p>
      )}
      <table className="grid tasks" aria-label={label}>
        <thead>
          <tr>
            <th>Started</th>
            <th>Task</th>
            {showVm && <th>VM</th>}
            <th>By</th>
            <th>Progress</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <Fragment key={t.id}>
              <tr data-task={t.kind} data-state={t.state}>
                <td>{formatTime(t.createdAt)}</td>
                <td>
                  <button type="button" className="link" aria-expanded={open === t.id} onClick={() => setOpen(open === t.id ? null : t.id)}>
                    {t.kind}
                  </button>
                </td>
                {showVm && <td>{t.vmName}</td>}
                <td>{t.actorName}</td>
                <td>
                  <progress max={100} value={t.progress} aria-label={`${t.kind} progress`}>
                    {t.progress}%
                  </progress>{" "}
                  {t.progress}%
                </td>
                <td>
                  <span className={`badge task-${t.state}`}>{t.state}</span>
                  {t.cancellable && (
                    <>
                      {" "}
                      <button
                        type="button"
                        aria-label={`Cancel ${t.kind}${t.vmName ? ` of ${t.vmName}` : ""}`}
                        disabled={cancel.isPending && cancel.variables?.id === t.id}
                        onClick={() => cancel.mutate({ id: t.id })}
                      >
                        Cancel
                      </button>
                    </>
                  )}
                </td>
              </tr>
              {open === t.id && (
                <tr className="task-detail">
                  <td colSpan={showVm ? 6 : 5}>
                    {t.error && (
                      <p role="alert" className="error">
                        {t.error}
                      </p>
                    )}
                    <ol className="task-log" aria-label={`${t.kind} log`}>
                      {((t.log as LogLine[] | null) ?? []).map((l, i) => (
                        <li key={i}>
                          <time>{formatTime(l.at)}</time> {l.line}
                        </li>
                      ))}
                    </ol>
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </>
  );
}
