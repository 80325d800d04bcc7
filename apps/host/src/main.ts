/** Host service entry point: `tsx apps/host/src/main.ts` (env: see env.ts). */
import { AccelError, probeAccelerator } from "@guesthouse/qemu/accel";
import { qemuVersion } from "@guesthouse/qemu/process";
import { ensureWritableDir, makeDataDirPrivate } from "./data-dir.ts";
import { EnvError, readEnv } from "./env.ts";
import { createHostHttpServer } from "./http-server.ts";
import { createLogger } from "./logger.ts";
import { HostService } from "./service.ts";
import { JoinError, resolveHostToken } from "./join.ts";
import { LockHeldError } from "./service-lock.ts";

/** One clear line, no stack trace, non-zero exit. */
function die(line: string): never {
  process.stderr.write(`host service: ${line}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let env;
  try {
    env = readEnv();
  } catch (err) {
    if (err instanceof EnvError) die(`bad environment: ${err.message}`);
    throw err;
  }
  const log = createLogger(env.logLevel);
  const { dataDir } = env.config;
  try {
    await ensureWritableDir(dataDir);
    await makeDataDirPrivate(dataDir);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    die(`data folder ${dataDir} is not writable (${why}); set GUESTHOUSE_DATA to a writable folder`);
  }

  // Before the service opens: a refused join leaves nothing behind.
  let token: string;
  try {
    const url = env.join?.url ?? `http://${env.bind.includes(":") ? `[${env.bind}]` : env.bind}:${env.port}`;
    const resolved = await resolveHostToken({ dataDir, staticToken: env.token, join: env.join && { ...env.join, url } });
    token = resolved.token;
    if (resolved.source === "joined") log.info({ console: env.join?.consoleUrl, name: env.join?.name, url }, "registered with the console");
  } catch (err) {
    if (err instanceof JoinError) die(err.message);
    throw err;
  }

  try {
    await qemuVersion(env.config.qemuBinary);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      die(`QEMU is missing: '${env.config.qemuBinary}' was not found (apt-get install qemu-system-x86 qemu-utils)`);
    }
  }
  let accel;
  try {
    accel = await probeAccelerator({ binary: env.config.qemuBinary, mode: env.accelMode });
  } catch (err) {
    if (err instanceof AccelError) die(err.message);
    throw err;
  }
  log.info({ accel: accel.accel, summary: accel.summary, baseline: accel.baseline, probeMs: accel.probeMs }, "accelerator probed");

  let service: HostService;
  try {
    service = await HostService.open({ ...env.config, accel }, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT" && String(e.path ?? e.message).includes(env.config.qemuBinary)) {
      die(`QEMU is missing: '${env.config.qemuBinary}' was not found (apt-get install qemu-system-x86 qemu-utils)`);
    }
    if (err instanceof LockHeldError) die(err.message);
    die(`could not start: ${e.message}`);
  }

  const http = createHostHttpServer({ service, token, log });
  http.server.once("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EADDRINUSE") die(`port ${env.port} on ${env.bind} is already in use (set HOST_PORT)`);
    if (err.code === "EACCES") die(`no permission to listen on ${env.bind}:${env.port}`);
    die(`cannot listen on ${env.bind}:${env.port}: ${err.message}`);
  });
  http.server.listen(env.port, env.bind, () => {
    const info = { port: env.port, bind: env.bind, dataDir, vms: service.vms.records.size, accel: accel.summary };
    log.info(info, "host service listening");
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping host service; guests keep running");
    await http.close();
    await service.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

main().catch((err: Error) => die(`unexpected failure: ${err.message}`));
