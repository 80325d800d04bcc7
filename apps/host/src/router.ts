/** The host API. The console imports `HostRouter` (type only) for its typed client. */
import { diskRouter } from "./routers/disk.ts";
import { hostInfoRouter } from "./routers/host.ts";
import { mediaRouter } from "./routers/media.ts";
import { migrationRouter } from "./routers/migration.ts";
import { networkRouter } from "./routers/network.ts";
import { serialRouter } from "./routers/serial.ts";
import { snapshotRouter } from "./routers/snapshot.ts";
import { templateRouter } from "./routers/template.ts";
import { vmRouter } from "./routers/vm.ts";
import { createCallerFactory, router } from "./trpc.ts";

export const hostRouter = router({
  host: hostInfoRouter,
  vm: vmRouter,
  serial: serialRouter,
  disk: diskRouter,
  media: mediaRouter,
  snapshot: snapshotRouter,
  template: templateRouter,
  network: networkRouter,
  migration: migrationRouter,
});

export type HostRouter = typeof hostRouter;
export const createHostCaller = createCallerFactory(hostRouter);
