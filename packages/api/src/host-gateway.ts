// The console's typed line to the host services (docs/design.md: the console talks to them
// through the host API's typed tRPC client). The host row gives the URL; each joined host gets its
// own credential (host-credential.ts, ADR 0034).
import { createHostClient, type HostClient } from "@guesthouse/host-client";
import type { Db } from "@guesthouse/db";
import { NotFound } from "./errors.ts";
import { credentialFor } from "./host-credential.ts";

export type { HostClient };

export interface HostGateway {
  /** The client for the host that runs (or will run) a VM. */
  forHost(hostId: string): Promise<HostClient>;
  /** The bearer token for host `hostId` (for the display and upload paths that bypass tRPC). */
  credential(hostId: string): Promise<string>;
  /** The console's own secret, from which joined hosts' credentials derive. */
  token: string;
  /** The console's data folder: its migration CA lives there (migration-ca.ts); default `.data`. */
  dataDir?: string;
}

export function createHostGateway(db: Db, token: string, opts: { dataDir?: string } = {}): HostGateway {
  const clients = new Map<string, { url: string; tokenHash: string; client: HostClient }>();
  const row = async (hostId: string) => {
    const host = await db.host.findUnique({ where: { id: hostId }, select: { id: true, url: true, tokenHash: true } });
    if (!host) throw new NotFound(`No host with id '${hostId}'`);
    return host;
  };
  return {
    token,
    dataDir: opts.dataDir ?? ".data",
    async forHost(hostId) {
      const host = await row(hostId);
      const cached = clients.get(hostId);
      if (cached && cached.url === host.url && cached.tokenHash === host.tokenHash) return cached.client;
      const client = createHostClient({ url: host.url, token: credentialFor(token, host) });
      clients.set(hostId, { url: host.url, tokenHash: host.tokenHash, client });
      return client;
    },
    async credential(hostId) {
      return credentialFor(token, await row(hostId));
    },
  };
}
