// `npm run up`: everything a fresh machine needs, then the console's URL and the first admin's login.
import { readStackEnv, StackError } from "./stack/env.ts";
import { startStack } from "./stack/stack.ts";

const log = (line: string) => console.log(line);
const started = Date.now();
try {
  const env = readStackEnv();
  const stack = await startStack(env, log);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log("");
  console.log(`Guesthouse is ready in ${seconds} s: ${stack.consoleUrl}`);
  if (stack.admin) {
    console.log(`First administrator: ${stack.admin.email}`);
    if (stack.admin.generated) console.log(`Password (shown once, change it after signing in): ${stack.admin.password}`);
  } else {
    console.log(`Sign in as ${stack.adminEmail} with the password printed at first start.`);
  }
  if (stack.qemuProblem) console.log(`Guests cannot run yet: ${stack.qemuProblem}`);
  console.log("Press Ctrl-C to stop (running guests keep running and are picked up again next time).");
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log("Stopping the console, the host service and the database…");
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
} catch (error) {
  if (error instanceof StackError) {
    console.error(`Guesthouse could not start: ${error.message}`);
  } else {
    console.error(`Guesthouse could not start: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  process.exit(1);
}
