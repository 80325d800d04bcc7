// ISO / disk image upload: session + `media.upload`, then the body streams to the host service,
// which writes it atomically and hashes it; the library row is written only for a complete file.
// The whole of it is a task (media.upload), so a console killed half-way is settled when the next starts.
import { audit, cancellableHere, DB_UNAVAILABLE, isDbUnreachable, loadAccessForUpload, runTask, TaskCancelled } from "@guesthouse/api";
import { withByteProgress } from "@/server/upload-progress.server";
import { db, hosts } from "@/server/db.server";
import { MEDIA_NAME, MEDIA_NAME_RULE } from "@guesthouse/shared/media-name";
import { clientIp, isCrossSite, REMOTE_ADDRESS_HEADER, sessionUser } from "@/server/request.server";

export const dynamic = "force-dynamic";

const json = (status: number, body: object) => Response.json(body, { status });

/** The host's answer to an upload it did not keep, passed on to the browser as it came. */
class UploadRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
const hostLost = (name: string) =>
  `The host service stopped answering during the upload of '${name}': nothing was added to the library; try again`;

export async function POST(req: Request) {
  return upload(req).catch((error: unknown) => {
    if (isDbUnreachable(error)) return json(503, { error: DB_UNAVAILABLE });
    throw error;
  });
}

async function upload(req: Request) {
  if (isCrossSite(req)) return json(403, { error: "cross-site request refused" });
  const user = await sessionUser(req.headers);
  if (!user) return json(401, { error: "Sign in first" });
  const name = new URL(req.url).searchParams.get("name") ?? "";
  // Before the name goes anywhere: a NUL in it would make the audit row and the lookup below fail as a 500.
  if (!MEDIA_NAME.test(name)) return json(400, { error: MEDIA_NAME_RULE });
  // A chunked body (no Content-Length) or a malformed one made the relay to the host throw: a 502.
  const length = req.headers.get("content-length") ?? "";
  if (!/^[1-9][0-9]{0,15}$/.test(length)) return json(411, { error: "The upload needs a Content-Length: the file's size in bytes" });
  const ip = clientIp(req.headers, req.headers.get(REMOTE_ADDRESS_HEADER) ?? "");
  const base = { actorId: user.id, actorName: user.email, action: "media.upload", ip };
  if (!(await loadAccessForUpload(db(), user.id))) {
    await audit(db(), { ...base, outcome: "denied", detail: { missing: "media.upload", name } });
    return json(403, { error: "You need the 'media.upload' permission" });
  }
  if (await db().media.findUnique({ where: { name }, select: { id: true } }))
    return json(409, { error: `'${name}' is already in the library` });
  const host = await db().host.findUniqueOrThrow({ where: { name: "local" }, select: { id: true, url: true } });
  // Journaled first (ADR 0018): a console that dies between the host's last byte and the library
  // row leaves a task that reconciliation settles by removing the host's unrecorded file.
  const spec = { kind: "media.upload", hostId: host.id, actor: user, input: { name, sizeBytes: Number(length) } };
  const outcome = await runTask(db(), spec, async (task) => {
    await task.progress(5, `sending '${name}' to the host`);
    // The Tasks panel's Cancel aborts the relay; the host then removes its partial file.
    const abort = new AbortController();
    const done = cancellableHere(task.id, abort);
    const cancelled = () => new TaskCancelled(`the upload of '${name}' was cancelled; nothing was added to the library`);
    const upstream = await fetch(`${host.url}/media/upload?name=${encodeURIComponent(name)}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${await hosts().credential(host.id)}`, "content-length": length },
      body: req.body && withByteProgress(req.body, Number(length), task),
      duplex: "half",
      signal: abort.signal,
    } as RequestInit & { duplex: "half" })
      .catch(() => new Response(JSON.stringify({ error: hostLost(name) }), { status: 502 }))
      .finally(done);
    if (abort.signal.aborted) throw cancelled();
    // The host may also go away after its headers, while the body is read.
    const result = (await upstream.json().catch(() => ({ error: hostLost(name) }))) as {
      error?: string;
      path?: string;
      sizeBytes?: number;
      sha256?: string;
    };
    if (!upstream.ok || !result.path) {
      await audit(db(), { ...base, taskId: task.id, outcome: "failure", detail: { name, error: result.error ?? upstream.statusText } });
      throw new UploadRefused(upstream.ok ? 502 : upstream.status, result.error ?? "Upload failed");
    }
    await task.progress(90, "recording it in the library");
    return db().$transaction(async (tx) => {
      const row = await tx.media.create({
        data: {
          name,
          kind: /\.iso$/i.test(name) ? "iso" : "disk",
          path: result.path!,
          sizeBytes: BigInt(result.sizeBytes!),
          sha256: result.sha256!,
          hostId: host.id,
          uploadedById: user.id,
        },
        select: { id: true, name: true, sha256: true },
      });
      await audit(tx, {
        ...base,
        taskId: task.id,
        outcome: "success",
        detail: { name, sizeBytes: result.sizeBytes!, sha256: result.sha256! },
      });
      return row;
    });
  }).catch((error: unknown) => {
    if (error instanceof UploadRefused) return error;
    if (error instanceof TaskCancelled) return new UploadRefused(409, error.message);
    throw error;
  });
  if (outcome instanceof UploadRefused) return json(outcome.status, { error: outcome.message });
  const media = outcome;
  return json(201, media);
}
