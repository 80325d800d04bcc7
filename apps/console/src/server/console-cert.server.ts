// The console certificate's SHA-256, set once by the custom server (server.ts) when it loads its
// TLS pair, and read by the API route: a join token comes with it, so the Hosts page's join
// command pins this certificate (apps/host/src/join-https.ts). Process-wide: server.ts and Next's
// bundle are two module instances in one process.
import { processWide } from "@guesthouse/shared/process-wide";

export const consoleCert = processWide("console-cert", () => ({ sha256: null as string | null }));
