/**
 * Internal qcow2 snapshots: offline with `qemu-img snapshot`, live with QMP's snapshot jobs on
 * `-blockdev` node names. Both read the snapshot table from the qcow2 itself.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type { SnapshotEntry } from "@guesthouse/shared/host-snapshot-api";
import { z } from "zod";
import type { QmpClient } from "./qmp.ts";
import { QemuImgError } from "./qemu-img.ts";

const exec = promisify(execFile);

const RawSnapshot = z.object({
  name: z.string(),
  "date-sec": z.number(),
  "date-nsec": z.number(),
  "vm-state-size": z.number(),
});
const RawSnapshots = z.array(RawSnapshot).optional();

function toEntries(raw: z.infer<typeof RawSnapshots>): SnapshotEntry[] {
  return (raw ?? []).map((s) => ({
    name: s.name,
    withRam: s["vm-state-size"] > 0,
    createdAt: s["date-sec"] * 1000 + Math.floor(s["date-nsec"] / 1e6),
    vmStateBytes: s["vm-state-size"],
  }));
}

/** The snapshot table of a qcow2 file; `-U` so a QEMU holding it open does not block the read. */
export async function imgSnapshots(path: string, binary = "qemu-img"): Promise<SnapshotEntry[]> {
  const args = ["info", "--output=json", "-f", "qcow2", "-U", path];
  const out = await run(binary, args);
  return toEntries(z.object({ snapshots: RawSnapshots }).parse(JSON.parse(out)).snapshots);
}

const IMG_OP = { create: "-c", apply: "-a", delete: "-d" } as const;

/** `qemu-img snapshot -c|-a|-d NAME FILE` on a qcow2 no QEMU has open. */
export async function imgSnapshot(op: keyof typeof IMG_OP, path: string, name: string, binary = "qemu-img"): Promise<void> {
  // `snapshot` takes no -f; --image-opts pins the format instead of probing it (',' is doubled to escape it).
  await run(binary, ["snapshot", "-q", "--image-opts", IMG_OP[op], name, `driver=qcow2,file.filename=${path.replaceAll(",", ",,")}`]);
}

async function run(binary: string, args: string[]): Promise<string> {
  try {
    return (await exec(binary, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    throw new QemuImgError(args, e.code === "ENOENT" ? `${binary} is not installed` : (e.stderr ?? e.message));
  }
}

/** The snapshot table of a live block node (`query-named-block-nodes`). */
export async function nodeSnapshots(qmp: QmpClient, node: string): Promise<SnapshotEntry[]> {
  const nodes = await qmp.execute<{ "node-name": string; image: { snapshots?: unknown } }[]>("query-named-block-nodes", { flat: true });
  const found = nodes.find((n) => n["node-name"] === node);
  if (!found) throw new Error(`QEMU has no block node '${node}'`);
  return toEntries(RawSnapshots.parse(found.image.snapshots));
}

/** Job ids we start carry this prefix, so a later service can find jobs an earlier one left behind. */
export const SNAPSHOT_JOB_PREFIX = "gh-snap-";

interface JobInfo {
  id: string;
  status: string;
  error?: string;
}

export class SnapshotJobError extends Error {
  override name = "SnapshotJobError";
}

/**
 * Runs `snapshot-save|load|delete` as a job, waits for it to conclude, dismisses it, and throws
 * the job's own error text if it failed.
 */
export async function runSnapshotJob(
  qmp: QmpClient,
  type: "snapshot-save" | "snapshot-load" | "snapshot-delete",
  args: { tag: string; vmstate?: string; devices: string[] },
  opts: { timeoutMs: number },
): Promise<void> {
  const jobId = `${SNAPSHOT_JOB_PREFIX}${type.slice(9)}-${randomBytes(4).toString("hex")}`;
  const concluded = qmp.waitEvent("JOB_STATUS_CHANGE", {
    timeoutMs: opts.timeoutMs,
    match: (e) => e.data.id === jobId && e.data.status === "concluded",
  });
  concluded.catch(() => undefined);
  await qmp.execute(type, { "job-id": jobId, ...args });
  await concluded;
  const job = (await qmp.execute<JobInfo[]>("query-jobs")).find((j) => j.id === jobId);
  await qmp.execute("job-dismiss", { id: jobId });
  if (job?.error) throw new SnapshotJobError(`${type} '${args.tag}': ${job.error}`);
}

/** Waits for snapshot jobs an earlier service left running (it died mid-job), then dismisses them. */
export async function settleSnapshotJobs(qmp: QmpClient, opts: { timeoutMs: number }): Promise<string[]> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const ours = (await qmp.execute<JobInfo[]>("query-jobs")).filter((j) => j.id.startsWith(SNAPSHOT_JOB_PREFIX));
    if (ours.every((j) => j.status === "concluded")) {
      for (const j of ours) await qmp.execute("job-dismiss", { id: j.id });
      return ours.map((j) => j.id);
    }
    if (Date.now() > deadline) throw new SnapshotJobError(`snapshot job(s) still running after ${opts.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
