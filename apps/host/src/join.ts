// Registration with a join token (ADR 0034). GUESTHOUSE_JOIN=<console-url>#<token>: at its first
// start, the host service trades the token at the console for a credential of its own, kept in
// its data folder (mode 0600); from then on that credential is the only token its API accepts.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const CREDENTIAL_FILE = "host-credential";

export class JoinError extends Error {
  override name = "JoinError";
}

export interface JoinRequest {
  consoleUrl: string;
  token: string;
  /** How the console will know and reach this host. */
  name: string;
  url: string;
}

/** `https://console.example#ghj_…` → its two halves, or a JoinError saying what is wrong. */
export function parseJoin(value: string): { consoleUrl: string; token: string } {
  const hash = value.indexOf("#");
  const consoleUrl = hash < 0 ? "" : value.slice(0, hash).replace(/\/+$/, "");
  const token = hash < 0 ? "" : value.slice(hash + 1);
  if (!/^https?:\/\/[^\s#]+$/.test(consoleUrl) || !token)
    throw new JoinError("GUESTHOUSE_JOIN must be <console-url>#<join-token>, as the console's Hosts page shows it");
  return { consoleUrl, token };
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
  let response: Response;
  try {
    response = await fetch(`${req.consoleUrl}/api/trpc/host.join`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { token: req.token, name: req.name, url: req.url } }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new JoinError(`cannot reach the console at ${req.consoleUrl} to join: ${(err as Error).message}`);
  }
  const body = (await response.json().catch(() => null)) as {
    result?: { data?: { json?: { credential?: string } } };
    error?: { json?: { message?: string } };
  } | null;
  const credential = body?.result?.data?.json?.credential;
  if (response.ok && credential) return credential;
  throw new JoinError(`the console refused to register this host (${response.status}): ${body?.error?.json?.message ?? "no reason given"}`);
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
    // wx: never overwrite a credential another start wrote meanwhile.
    await writeFile(join(opts.dataDir, CREDENTIAL_FILE), `${credential}\n`, { mode: 0o600, flag: "wx" });
    return { token: credential, source: "joined" };
  }
  if (opts.staticToken) return { token: opts.staticToken, source: "HOST_TOKEN" };
  throw new JoinError(
    "HOST_TOKEN is not set: the host API needs a token (at least 16 characters), or GUESTHOUSE_JOIN=<console-url>#<join-token> to register with a console",
  );
}
