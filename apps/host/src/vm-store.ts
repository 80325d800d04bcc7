/** Each VM's folder: spec.json (what it is) and state.json (what it last was), written atomically. */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { VmIdSchema, VmReasonSchema, VmSpecSchema, VmStateSchema, type VmSpec } from "@guesthouse/shared/vm";
import { z } from "zod";
import type { HostPaths } from "./paths.ts";

export const PersistedStateSchema = z.object({
  state: VmStateSchema,
  reason: VmReasonSchema,
  since: z.number(),
  /** Version of the state event that set it (absent in folders written before versions existed). */
  version: z.number().default(0),
});
export type PersistedState = z.input<typeof PersistedStateSchema>;

export interface StoredVm {
  id: string;
  spec: VmSpec;
  state: PersistedState | undefined;
}

// Small files, written synchronously so that writes for one VM land in the order they were made.
function writeAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, file);
}

export class VmStore {
  constructor(readonly paths: HostPaths) {}

  async init(): Promise<void> {
    await mkdir(this.paths.vmsDir, { recursive: true });
  }

  create(id: string, spec: VmSpec, state: PersistedState): void {
    mkdirSync(this.paths.vmDir(id), { mode: 0o700 });
    this.writeSpec(id, spec);
    this.writeState(id, state);
  }

  writeSpec(id: string, spec: VmSpec): void {
    writeAtomic(this.paths.specFile(id), spec);
  }

  writeState(id: string, state: PersistedState): void {
    writeAtomic(this.paths.stateFile(id), state);
  }

  /** The snapshot the VM was last taken at or reverted to (the console's "you are here"). */
  writeCurrentSnapshot(id: string, tag: string | null): void {
    writeAtomic(this.#snapshotFile(id), { current: tag });
  }

  async readCurrentSnapshot(id: string): Promise<string | null> {
    const text = await readFile(this.#snapshotFile(id), "utf8").catch(() => "{}");
    const parsed = z.object({ current: z.string().nullable().default(null) }).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.current : null;
  }

  #snapshotFile = (id: string) => join(this.paths.vmDir(id), "snapshot.json");

  async remove(id: string): Promise<void> {
    await rm(this.paths.vmDir(id), { recursive: true, force: true });
  }

  /** Every VM folder with a readable spec; folders that are not VMs are skipped (and reported). */
  async loadAll(onSkip: (id: string, why: string) => void): Promise<StoredVm[]> {
    const out: StoredVm[] = [];
    for (const entry of await readdir(this.paths.vmsDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const id = entry.name;
      if (!VmIdSchema.safeParse(id).success) {
        onSkip(id, "not a valid VM id");
        continue;
      }
      try {
        const spec = VmSpecSchema.parse(JSON.parse(await readFile(this.paths.specFile(id), "utf8")));
        let state: PersistedState | undefined;
        try {
          state = PersistedStateSchema.parse(JSON.parse(await readFile(this.paths.stateFile(id), "utf8")));
        } catch {
          state = undefined;
        }
        out.push({ id, spec, state });
      } catch (err) {
        onSkip(id, `unreadable spec.json (${(err as Error).message.slice(0, 200)})`);
      }
    }
    return out;
  }
}
