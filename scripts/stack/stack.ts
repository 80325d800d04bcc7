// Brings the whole product up: data folder, database, migrations, seed, host service, console.
// Shared by `npm run up` and `npm test`, so the tests run what users run.
import path from "node:path";
import type { FirstAdmin } from "@guesthouse/db";
import { prepareDatabase } from "./prepare-db.ts";
import { buildConsoleIfStale } from "./console-build.ts";
import { assertPortFree, startService, waitForHttp, type Service } from "./children.ts";
import { ensureWritableDataDir } from "./data-dir.ts";
import { openDatabase } from "./database.ts";
import { repoRoot, type StackEnv } from "./env.ts";
import { ensureQemu } from "./qemu-tools.ts";
import { loadSecrets } from "./secrets.ts";
import { registerGuestImages } from "./guest-images.ts";
import { prepareTls } from "./tls.ts";

export interface Stack {
  consoleUrl: string;
  hostUrl: string;
  hostToken: string;
  databaseUrl: string;
  admin: FirstAdmin;
  adminEmail: string;
  qemuProblem: string | null;
  tls: { fingerprint256: string; selfSigned: boolean; certPath: string };
  stop(): Promise<void>;
}

/** Everything started so far, so a signal at any step can stop exactly that. */
export interface StackRuntime {
  services: Service[];
  stopDatabase?: () => Promise<void>;
}

export async function stopRuntime(rt: StackRuntime): Promise<void> {
  for (const s of [...rt.services].reverse()) await s.stop();
  rt.services.length = 0;
  await rt.stopDatabase?.();
  rt.stopDatabase = undefined;
}

export async function startStack(
  env: StackEnv,
  log: (l: string) => void,
  rt: StackRuntime = { services: [] },
  /** More environment for the host service only (the test stack's migration address). */
  hostEnv: Record<string, string> = {},
): Promise<Stack> {
  await ensureWritableDataDir(env.dataDir);
  await assertPortFree(env.PORT, "console", "PORT");
  await assertPortFree(env.HOST_PORT, "host service", "HOST_PORT");
  const tls = await prepareTls(env);
  const qemuProblem = await ensureQemu(log);
  if (qemuProblem) log(qemuProblem);
  const secrets = await loadSecrets(env.dataDir);
  const database = await openDatabase(env, secrets.pgPassword, log);
  rt.stopDatabase = database.stop;
  const services = rt.services;
  const stop = () => stopRuntime(rt);
  try {
    const hostUrl = `http://127.0.0.1:${env.HOST_PORT}`;
    const { db, hostId, admin, adminEmail } = await prepareDatabase(database.url, {
      hostUrl,
      hostToken: secrets.hostToken,
      adminEmail: env.ADMIN_EMAIL,
      adminPassword: env.ADMIN_PASSWORD,
      log,
    });
    if (!qemuProblem && env.GUESTHOUSE_SKIP_IMAGES === "0") await registerGuestImages(db, { dataDir: env.dataDir, hostId, log });
    await db.$disconnect();
    await buildConsoleIfStale(log);

    const common = { ...process.env, GUESTHOUSE_DATA: env.dataDir, HOST_TOKEN: secrets.hostToken, NODE_ENV: "production" };
    // node itself with tsx's loader, not the tsx wrapper: one process per service to signal and wait for.
    const tsx = [process.execPath, "--import", "tsx"];
    const host = startService(
      "host",
      [...tsx, path.join(repoRoot, "apps/host/src/main.ts")],
      { ...common, ...hostEnv, HOST_PORT: String(env.HOST_PORT) },
      log,
    );
    services.push(host);
    await waitForHttp(host, `${hostUrl}/healthz`, 30_000);
    const consoleEnv = {
      ...common,
      DATABASE_URL: database.url,
      HOST_URL: hostUrl,
      PORT: String(env.PORT),
      TLS_CERT: tls.certPath,
      TLS_KEY: tls.keyPath,
    };
    const console_ = startService("console", [...tsx, path.join(repoRoot, "apps/console/server.ts")], consoleEnv, log);
    services.push(console_);
    const consoleUrl = `http://localhost:${env.PORT}`;
    await waitForHttp(console_, `${consoleUrl}/api/health`, 60_000);
    const { fingerprint256, selfSigned, certPath } = tls;
    return {
      consoleUrl,
      hostUrl,
      hostToken: secrets.hostToken,
      databaseUrl: database.url,
      admin,
      adminEmail,
      qemuProblem,
      tls: { fingerprint256, selfSigned, certPath },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
