/**
 * Run as its own process by crash-points.int.test.ts: a console that makes one API call as the
 * given user, against the real database and host service, and is killed on the way by
 * GUESTHOUSE_CRASH_AT (packages/shared/src/crash-point.ts). If it reaches the end it prints
 * `FINISHED` (or `FAILED <message>`), which the test counts as the crash point never being reached.
 *
 * With `cancel`, the call is left running and, once its task is past `above` percent, the console
 * cancels it (task.cancel) — to be killed in the middle of that cancel.
 *
 * argv[2]: JSON { databaseUrl, hostToken, user: { id, email, name, sessionId }, call: "template.fromVm", input, dataDir?, waitForTask?, cancel? }
 */
import { createDb } from "@guesthouse/db";
import { createCaller, createContextInner, createHostGateway } from "@guesthouse/api";

interface Job {
  databaseUrl: string;
  hostToken: string;
  user: { id: string; email: string; name: string; sessionId: string };
  call: string;
  input: unknown;
  /** The console's data folder (its migration CA); default `.data`. */
  dataDir?: string;
  /** The call answers a `taskId` whose work goes on after it (an evacuation): wait until that task ends. */
  waitForTask?: boolean;
  /** Cancel the call's task (of this kind) once its progress is above `above`. */
  cancel?: { kind: string; above: number };
}

const job = JSON.parse(process.argv[2] ?? "{}") as Job;
const db = createDb(job.databaseUrl);
const caller = createCaller(
  createContextInner({
    db,
    hosts: createHostGateway(db, job.hostToken, { dataDir: job.dataDir }),
    ip: "crash-test",
    secureCookies: false,
    user: job.user,
  }),
);
const [group, name] = job.call.split(".") as [string, string];
const procedure = (caller as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>)[group]?.[name];
if (!procedure) throw new Error(`no procedure ${job.call}`);
try {
  if (job.cancel) {
    const { kind, above } = job.cancel;
    void procedure(job.input).catch(() => undefined);
    let task;
    while (!(task = await db.task.findFirst({ where: { kind, state: "running", progress: { gt: above } } })))
      await new Promise((r) => setTimeout(r, 25)); // the next look at the row
    await caller.task.cancel({ id: task.id });
  } else {
    const answer = (await procedure(job.input)) as { taskId?: string | null } | undefined;
    while (job.waitForTask && answer?.taskId) {
      const row = await db.task.findUnique({ where: { id: answer.taskId }, select: { state: true } });
      if (row?.state !== "running") break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  process.stdout.write("FINISHED\n");
} catch (err) {
  process.stdout.write(`FAILED ${(err as Error).message}\n`);
}
await db.$disconnect();
