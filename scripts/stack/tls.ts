// The console's certificate, checked (or made) before anything starts, so a bad TLS_CERT/TLS_KEY
// is one line and nothing is half-started (docs/decisions/0011-http-and-https.md).
import { loadTls, TlsConfigError, type TlsMaterial } from "../../apps/console/src/server/tls.server.ts";
import { StackError, type StackEnv } from "./env.ts";

export async function prepareTls(env: StackEnv): Promise<TlsMaterial> {
  try {
    return await loadTls({ certPath: env.TLS_CERT, keyPath: env.TLS_KEY, dataDir: env.dataDir });
  } catch (error) {
    throw error instanceof TlsConfigError ? new StackError(error.message) : error;
  }
}
