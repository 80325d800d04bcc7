// Registration with a join token (ADR 0034). GUESTHOUSE_JOIN=<console-url>#<token>[;sha256=<pin>]:
// at its first start, the host service trades the token at the console for a credential of its
// own, kept in its data folder (mode 0600); from then on that credential is the only token its API
// accepts. Over https the pin (the console certificate's SHA-256, which the Hosts page puts in the
// value) lets a console with a self-signed certificate be trusted, as kubeadm's CA hash does.
import { link, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJoinValue, type JoinValue } from "@guesthouse/shared/join-value";
import { postJson } from "./join-https.ts";

export const CREDENTIAL_FILE = "host-credential";

export class JoinError extends Error {
  override name = "JoinError";
}

export interface JoinRequest {
  consoleUrl: string;
  token: string;
  /** The console certificate's SHA-256 (64 hex digits), when the join value carries one. */
  pin?: string;
  /** How the console will know and reach this host. */
  name: string;
  url: string;
}

/** The GUESTHOUSE_JOIN value's parts (packages/shared/src/join-value.ts), or a JoinError saying what is wrong. */
export function parseJoin(value: string): JoinValue {
  try {
    return parseJoinValue(value);
  } catch (err) {
    throw new JoinError((err as Error).message);
  }
}

async function readCredential(dataDir: string): Promise<string | null> {
  try {
    const text = (await readFile(join(dataDir, CREDENTIAL_FILE), "utf8")).trim();
    return text || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Asks the console's host.join procedure (tRPC over HTTP, superjson's plain-JSON envelope). */
async function exchange(req: JoinRequest): Promise<string> {
  let response: { status: number; body: unknown };
  try {
    response = await postJson(
      `${req.consoleUrl}/api/trpc/host.join`,
      { json: { token: req.token, name: req.name, url: req.url } },
      req.pin,
    );
  } catch (err) {
    throw new JoinError(`cannot reach the console at ${req.consoleUrl} to join: ${(err as Error).message}`);
  }
  const body = response.body as {
    result?: { data?: { json?: { credential?: string } } };
    error?: { json?: { message?: string } };
  } | null;
  const credential = body?.result?.data?.json?.credential;
  if (response.status === 200 && credential) return credential;
  throw new JoinError(`the console refused to register this host (${response.status}): ${body?.error?.json?.message ?? "no reason given"}`);
}

/**
 * Written whole or not at all: into a file of its own, then linked into place, which fails if a
 * credential is there already (another start's is never overwritten). A crash half-way leaves no
 * empty credential file that would stop every later start.
 */
async function storeCredential(dataDir: string, credential: string): Promise<void> {
  const aside = join(dataDir, `${CREDENTIAL_FILE}.${process.pid}.new`);
  await writeFile(aside, `${credential}\n`, { mode: 0o600 });
  try {
    await link(aside, join(dataDir, CREDENTIAL_FILE));
  } finally {
    await unlink(aside);
  }
}

/**
 * The token this host's API accepts: its stored credential; else, with a join request, the one the
 * console hands out for it (stored before it is used); else HOST_TOKEN.
 */
export async function resolveHostToken(opts: {
  dataDir: string;
  join?: JoinRequest;
  staticToken?: string;
}): Promise<{ token: string; source: "credential" | "joined" | "HOST_TOKEN" }> {
  const stored = await readCredential(opts.dataDir);
  if (stored) return { token: stored, source: "credential" };
  if (opts.join) {
    const credential = await exchange(opts.join);
    await storeCredential(opts.dataDir, credential);
    return { token: credential, source: "joined" };
  }
  if (opts.staticToken) return { token: opts.staticToken, source: "HOST_TOKEN" };
  throw new JoinError(
    "HOST_TOKEN is not set: the host API needs a token (at least 16 characters), or GUESTHOUSE_JOIN=<console-url>#<join-token> to register with a console",
  );
}
