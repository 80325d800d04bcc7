import type { Db } from "@guesthouse/db";
import type { Prisma } from "@guesthouse/db";

export interface AuditEntry {
  actorId?: string | null;
  actorName?: string;
  action: string;
  vmId?: string | null;
  vmName?: string;
  outcome: "success" | "failure" | "denied";
  detail?: Prisma.InputJsonValue;
  ip?: string;
  /** The task this event records a step of. */
  taskId?: string;
}

type Writer = Pick<Db, "auditEvent">;

/** Writes one audit event; pass a transaction client to make it part of the change it records. */
export async function audit(db: Writer, entry: AuditEntry): Promise<void> {
  try {
    await write(db, entry);
  } catch (error) {
    // The actor or VM may be gone by the time a long session ends; the names still tell who and what.
    if ((error as { code?: string }).code !== "P2003") throw error;
    await write(db, { ...entry, actorId: null, vmId: null });
  }
}

function write(db: Writer, entry: AuditEntry) {
  return db.auditEvent.create({
    data: {
      actorId: entry.actorId ?? null,
      actorName: entry.actorName ?? "",
      action: entry.action,
      vmId: entry.vmId ?? null,
      vmName: entry.vmName ?? "",
      outcome: entry.outcome,
      detail: entry.detail,
      ip: entry.ip ?? "",
      taskId: entry.taskId ?? null,
    },
  });
}
