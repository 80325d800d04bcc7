// Prisma's WebAssembly schema engine, instantiated by hand: Node's ESM loader refuses the package's
// `.wasm` import, and the native engine cannot be downloaded here (docs/decisions/0002-offline-migrations.md).
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPg } from "@prisma/adapter-pg";
import * as glue from "@prisma/schema-engine-wasm/schema_engine_bg";

type Engine = Awaited<ReturnType<typeof glue.SchemaEngine.new>>;
let loaded: Promise<void> | undefined;

function loadWasm(): Promise<void> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const glueFile = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(path.join(path.dirname(glueFile), "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": glue as never });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return loaded;
}

/** Opens a schema engine bound to a Postgres URL; `datamodel` is the schema the engine reasons about. */
export async function openSchemaEngine(url: string, datamodel?: { path: string; content: string }): Promise<Engine> {
  await loadWasm();
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: url }));
  const datamodels: [string, string][] | undefined = datamodel ? [[datamodel.path, datamodel.content]] : undefined;
  const log = () => {};
  return glue.SchemaEngine.new({ datamodels }, log, adapter);
}

export type { Engine as SchemaEngine };
