"use client";
import { Fragment, useState } from "react";
import { formatTime } from "./format";
import type { TaskRow } from "./useLiveTasks";

type LogLine = { at: string; line: string };

/** Tasks as a table: live progress, outcome, and each one's log and error on demand. */
export function TaskList({ tasks, showVm = true, label }: { tasks: TaskRow[]; showVm?: boolean; label: string }) {
  const [open, setOpen] = useState<string | null>(null);
  if (tasks.length === 0) return <p className="muted">No tasks yet.</p>;
  return (
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
  );
}
