import { accessRouter } from "./routers/access.ts";
import { auditRouter } from "./routers/audit.ts";
import { catalogRouter } from "./routers/catalog.ts";
import { authRouter } from "./routers/auth.ts";
import { displayRouter } from "./routers/display.ts";
import { hostRouter } from "./routers/host.ts";
import { mediaRouter } from "./routers/media.ts";
import { serialRouter } from "./routers/serial.ts";
import { shareRouter } from "./routers/share.ts";
import { snapshotRouter } from "./routers/snapshot.ts";
import { templateRouter } from "./routers/template.ts";
import { taskRouter } from "./routers/task.ts";
import { usersRouter } from "./routers/users.ts";
import { vmLifecycle } from "./routers/vm-lifecycle.ts";
import { vmPower } from "./routers/vm-power.ts";
import { vmSettings } from "./routers/vm-settings.ts";
import { vmUndo } from "./routers/vm-undo.ts";
import { vmNics } from "./routers/vm-nics.ts";
import { vmMove } from "./routers/vm-move.ts";
import { networkRouter } from "./routers/network.ts";
import { vmLive, vmQueries } from "./routers/vm-queries.ts";
import { router, createCallerFactory } from "./trpc.ts";

export const appRouter = router({
  auth: authRouter,
  vm: router({ ...vmQueries, ...vmLive, ...vmPower, ...vmLifecycle, ...vmSettings, ...vmUndo, ...vmNics, ...vmMove }),
  host: hostRouter,
  display: displayRouter,
  share: shareRouter,
  serial: serialRouter,
  snapshot: snapshotRouter,
  template: templateRouter,
  users: usersRouter,
  access: accessRouter,
  audit: auditRouter,
  catalog: catalogRouter,
  media: mediaRouter,
  task: taskRouter,
  network: networkRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
