/** What the host keeps per network under `<data>/host/networks/<id>/`, so a start can rebuild it all. */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HostNetworkSchema, PortForwardSchema } from "@guesthouse/shared/network";
import { z } from "zod";

export const StoredForwardSchema = PortForwardSchema.extend({ guestIp: z.string() });
export type StoredForward = z.infer<typeof StoredForwardSchema>;

const StoredNetworkSchema = z.object({
  network: HostNetworkSchema,
  /** True when Guesthouse made the bridge (nat, isolated): only then does it ever delete it. */
  ownsBridge: z.boolean(),
  forwards: z.array(StoredForwardSchema).default([]),
});
export type StoredNetwork = z.infer<typeof StoredNetworkSchema>;

export class NetworkStore {
  constructor(readonly dir: string) {}

  netDir(id: string): string {
    return join(this.dir, id);
  }

  async list(): Promise<StoredNetwork[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: StoredNetwork[] = [];
    for (const id of names.sort()) {
      const text = await readFile(join(this.dir, id, "network.json"), "utf8").catch(() => undefined);
      if (text !== undefined) out.push(StoredNetworkSchema.parse(JSON.parse(text)));
    }
    return out;
  }

  async save(s: StoredNetwork): Promise<void> {
    const dir = this.netDir(s.network.id);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, "network.json.tmp");
    await writeFile(tmp, JSON.stringify(s, null, 2));
    await rename(tmp, join(dir, "network.json"));
  }

  async remove(id: string): Promise<void> {
    await rm(this.netDir(id), { recursive: true, force: true });
  }
}
