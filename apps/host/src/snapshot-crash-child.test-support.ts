/**
 * Run as its own process by snapshots.int.test.ts: a host service on `dataDir` that starts a snapshot of
 * `vmId`, prints JOB-RUNNING once QEMU's job runs, and then waits to be killed with SIGKILL.
 */
import { pino } from "pino";
import { testConfig } from "./harness.test-support.ts";
import { HostService } from "./service.ts";
import { takeSnapshot } from "./snapshots.ts";

const [dataDir, vmId, name] = process.argv.slice(2) as [string, string, string];
const service = await HostService.open(await testConfig(dataDir), pino({ level: "silent" }));
const qmp = service.vms.get(vmId).instance?.qmp;
if (!qmp) throw new Error(`VM '${vmId}' is not attached`);
const running = qmp.waitEvent("JOB_STATUS_CHANGE", { timeoutMs: 30_000, match: (e) => e.data.status === "running" });
takeSnapshot(service, vmId, name).then(
  () => process.stdout.write("JOB-DONE\n"),
  (err: Error) => process.stdout.write(`JOB-FAILED ${err.message}\n`),
);
await running;
process.stdout.write("JOB-RUNNING\n");
setInterval(() => undefined, 60_000); // stay up until killed
