import { access, constants, mkdir } from "node:fs/promises";
import { makeDataDirPrivate } from "@guesthouse/host/data-dir";
import { StackError } from "./env.ts";

export async function ensureWritableDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK);
  } catch {
    throw new StackError(`The data folder ${dataDir} is not writable: fix its permissions or set GUESTHOUSE_DATA to a writable folder.`);
  }
  await makeDataDirPrivate(dataDir);
}
