// The console's typed line to the host services (docs/design.md: the console talks to them
// through the host API's typed tRPC client). Wave 1 has one host token for all hosts; the host
// row gives the URL.
import { createHostClient, type HostClient } from "@guesthouse/host-client";
import type { Db } from "@guesthouse/db";
import { NotFound } from "./errors.ts";

export type { HostClient };

export interface HostGateway {
  /** The client for the host that runs (or will run) a VM. */
  forHost(hostId: string): Promise<HostClient>;
  token: string;
}

export function createHostGateway(db: Db, token: string): HostGateway {
  const clients = new Map<string, { url: string; client: HostClient }>();
  return {
    token,
    async forHost(hostId) {
      const host = await db.host.findUnique({ where: { id: hostId }, select: { url: true, name: true } });
      if (!host) throw new NotFound(`No host with id '${hostId}'`);
      const cached = clients.get(hostId);
      if (cached && cached.url === host.url) return cached.client;
      const client = createHostClient({ url: host.url, token });
      clients.set(hostId, { url: host.url, client });
      return client;
    },
  };
}
