/**
 * For second-host.int.test.ts, join-over-https.int.test.ts and e2e/second-host.spec.ts: a real host service started as a
 * new machine would start it, with GUESTHOUSE_JOIN and no HOST_TOKEN, on its own data folder and port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { imagesDir } from "@guesthouse/images";
import { IMAGES, REPO } from "./crash-host.test-support.ts";

export function startJoiningHost(opts: {
  dataDir: string;
  port: number;
  name: string;
  join: string;
  captureStderr?: boolean;
  /** More environment (a network namespace, a migration address). */
  env?: Record<string, string>;
}): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GUESTHOUSE_DATA: opts.dataDir,
    HOST_PORT: String(opts.port),
    HOST_NAME: opts.name,
    HOST_PUBLIC_URL: `http://127.0.0.1:${opts.port}`,
    GUESTHOUSE_JOIN: opts.join,
    HOST_MEDIA_DIRS: imagesDir(IMAGES),
    LOG_LEVEL: "warn",
    ...opts.env,
  };
  delete env.HOST_TOKEN;
  return spawn(process.execPath, ["--import", "tsx", "apps/host/src/main.ts"], {
    cwd: REPO,
    env,
    stdio: ["ignore", "ignore", opts.captureStderr ? "pipe" : "inherit"],
  });
}
