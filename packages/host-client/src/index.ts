/**
 * A typed client for one host service, for the console (server side only: it carries the host token).
 * Queries and mutations go over batched HTTP, subscriptions over SSE; both send the bearer token.
 */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { EventSource } from "eventsource";
import type { HostRouter } from "@guesthouse/host/router";

export interface HostClientOptions {
  /** Base URL of the host service, e.g. `http://127.0.0.1:3001`. */
  url: string;
  token: string;
}

export function createHostClient(opts: HostClientOptions) {
  const url = `${opts.url.replace(/\/$/, "")}/trpc`;
  const authorization = `Bearer ${opts.token}`;
  return createTRPCClient<HostRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, authorization } }),
          },
        }),
        false: httpBatchLink({ url, headers: { authorization } }),
      }),
    ],
  });
}

export type HostClient = ReturnType<typeof createHostClient>;

/**
 * The host never answered: it was down, or it went away half-way through the call (its process
 * died, the connection dropped). Whether the operation happened is then unknown until the host
 * answers again; an answer of any kind, even an error, is not this.
 */
export function hostWentAway(error: unknown): boolean {
  const e = error as { name?: string; data?: unknown; cause?: { name?: string; message?: string } };
  if (e?.name !== "TRPCClientError" || e.data !== undefined) return false;
  return e.cause?.name === "TypeError" || /fetch failed|terminated|other side closed|ECONNRE/i.test(e.cause?.message ?? "");
}

/**
 * The host refused the connection: nothing listened, so the call certainly never reached it (unlike
 * a connection that dropped half-way, after which the call may or may not have run).
 */
export function hostRefused(error: unknown): boolean {
  if (!hostWentAway(error)) return false;
  for (let e = (error as { cause?: unknown }).cause; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === "ECONNREFUSED") return true;
  }
  return false;
}
