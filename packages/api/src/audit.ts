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
}

type Writer = Pick<Db, "auditEvent">;

/** Writes one audit event; pass a transaction client to make it part of the change it records. */
export async function audit(db: Writer, entry: AuditEntry): Promise<void> {
  await db.auditEvent.create({
    data: {
      actorId: entry.actorId ?? null,
      actorName: entry.actorName ?? "",
      action: entry.action,
      vmId: entry.vmId ?? null,
      vmName: entry.vmName ?? "",
      outcome: entry.outcome,
      detail: entry.detail,
      ip: entry.ip ?? "",
    },
  });
}
