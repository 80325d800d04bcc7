"use client";
// The browser's tRPC client: batched HTTP for queries and mutations; live streams over one
// WebSocket per tab, opened while a stream is open (SSE would hold one of the browser's six
// connections to the console per stream, across all tabs: ADR 0061).
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import type { AppRouter } from "@guesthouse/api";
import { TRPC_MAX_BATCH } from "@guesthouse/shared/console-api";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

function liveClient() {
  return createWSClient({
    // Read when it connects, in the browser (this module also renders on the server).
    url: () => `${window.location.protocol === "https:" ? "wss:" : "ws:"}//${window.location.host}/api/trpc-ws`,
    // Opened with the first stream, closed a while after the last; reconnects by itself.
    lazy: { enabled: true, closeMs: 10_000 },
  });
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: { queries: { staleTime: 5_000, retry: (n, e) => n < 2 && !/FORBIDDEN|UNAUTHORIZED|NOT_FOUND/.test(String(e)) } },
      }),
  );
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === "subscription",
          true: wsLink({ client: liveClient(), transformer: superjson }),
          false: httpBatchLink({ url: "/api/trpc", transformer: superjson, maxItems: TRPC_MAX_BATCH }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
