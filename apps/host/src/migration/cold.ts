/**
 * A stopped VM moves cold (docs/decisions/0032): the source serves each writable disk's qcow2 file
 * as raw bytes from a qemu-storage-daemon NBD server over TLS, and the target copies them with
 * `qemu-img convert -f raw -O raw`, so the file arrives byte for byte, internal snapshots included.
 * Both programs run in the host's network namespace, with argv arrays.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { qemuImg } from "@guesthouse/qemu";
import type { z } from "zod";
import type { MigrationColdExportInput, MigrationColdImportInput } from "@guesthouse/shared/host-migration-api";
import { BadInputError, EngineError, InvalidStateError } from "../errors.ts";
import { CopySteps } from "../copy-steps.ts";
import type { LongOpControl } from "../long-ops.ts";
import { exists } from "../path-exists.ts";
import type { HostService } from "../service.ts";
import { undoPath } from "../undo-disks.ts";
import type { VmManager } from "../vm-manager.ts";
import type { VmRecord } from "../vm-record.ts";
import type { MoveRegistry } from "./registry.ts";
import { assertCanReceive } from "./target.ts";
import { TLS_OBJECT, writeTlsFiles } from "./tls-creds.ts";

const exec = promisify(execFile);
const STORAGE_DAEMON = "qemu-storage-daemon";
const COPY_TIMEOUT_MS = 60 * 60_000;

const exportPid = (m: VmManager, id: string) => join(m.paths.vmDir(id), "migration-export.pid");
const tlsObjectArg = (dir: string, endpoint: "server" | "client") =>
  `tls-creds-x509,id=${TLS_OBJECT},dir=${dir},endpoint=${endpoint},verify-peer=on`;

async function run(m: VmManager, argv: string[], what: string): Promise<void> {
  const [cmd, ...args] = m.networks.runner.wrap(argv) as [string, ...string[]];
  try {
    await exec(cmd, args, { timeout: COPY_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new EngineError(`${what}: ${(e.stderr || e.message).trim().split("\n").slice(-2).join(" | ")}`);
  }
}

/** Source: serve the stopped VM's disk files until coldExportEnd (or the next service start's cleanup). */
export async function coldExport(m: VmManager, moves: MoveRegistry, rec: VmRecord, input: z.infer<typeof MigrationColdExportInput>) {
  const vm = `VM '${rec.id}'`;
  if (rec.state !== "stopped" || rec.instance) {
    throw new InvalidStateError(
      rec.state === "suspended"
        ? `${vm} has a saved state; restore it and move it live, or discard the saved state, then move it cold`
        : `${vm} is ${rec.state}; a cold move needs it stopped (a running VM moves live)`,
    );
  }
  if (moves.get(rec.id)) throw new InvalidStateError(`${vm} is already being moved`);
  const disks = rec.spec.disks.flatMap((d, i) => (d.readOnly ? [] : [{ i, disk: d.disk, path: m.paths.diskPath(d.disk) }]));
  for (const d of disks) {
    if (await exists(undoPath(d.path))) {
      throw new InvalidStateError(`${vm} has pending undo changes on disk '${d.disk}'; keep, commit or discard them first`);
    }
  }
  await coldExportEnd(m, moves, rec.id);
  const dir = await writeTlsFiles({ vmDir: m.paths.vmDir(rec.id), tls: input.tls, endpoint: "server", owner: m.guestFiles.user });
  const { host, nbdPort } = input.listen;
  const argv = [STORAGE_DAEMON, "--object", tlsObjectArg(dir, "server")];
  // The server before its exports: qemu-storage-daemon applies its options in order.
  argv.push("--nbd-server", `addr.type=inet,addr.host=${host},addr.port=${nbdPort},tls-creds=${TLS_OBJECT}`);
  for (const d of disks) {
    argv.push("--blockdev", `driver=file,filename=${d.path},node-name=f${d.i},read-only=on`);
    argv.push("--export", `type=nbd,id=e${d.i},node-name=f${d.i},name=disk${d.i},writable=off`);
  }
  // --daemonize returns once the server listens; the pidfile names the daemon for coldExportEnd.
  argv.push("--pidfile", exportPid(m, rec.id), "--daemonize");
  await run(m, argv, `serving the disks of ${vm} failed`);
  return { id: rec.id, nbd: { host, port: nbdPort, exports: disks.map((d) => `disk${d.i}`) } };
}

/** Source: stops serving the disk files (nothing if it was not). */
export async function coldExportEnd(m: VmManager, _moves: MoveRegistry, id: string): Promise<{ id: string }> {
  m.get(id);
  const file = exportPid(m, id);
  const pid = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
  if (pid > 0) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // gone already
    }
  }
  await rm(file, { force: true });
  await rm(join(m.paths.vmDir(id), "migration-tls"), { recursive: true, force: true });
  return { id };
}

/**
 * Target: copy each disk file from the source's export, then define the VM here (stopped). The copy
 * is the VM's long operation here: qemu-img's percent for `vm.progress`, and `vm.cancel` kills it
 * (what was copied goes, nothing is defined, the source keeps the VM).
 */
export async function coldImport(
  s: HostService,
  moves: MoveRegistry,
  input: z.infer<typeof MigrationColdImportInput>,
  control: LongOpControl,
): Promise<void> {
  const m = s.vms;
  const { id, spec } = input;
  await assertCanReceive(m, s.disks, { id, spec });
  const move = moves.claim(id, { role: "target", phase: "waiting", startedAt: Date.now(), received: Promise.resolve() });
  const work = join(m.paths.root, "incoming", id);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true, mode: 0o700 });
  const copied: string[] = [];
  const writable = spec.disks.flatMap((d, i) => (d.readOnly ? [] : [{ d, i }]));
  // Each disk file an equal share: the source's file sizes are not known here before the copy.
  const steps = new CopySteps(
    control,
    writable.map(() => 1),
  );
  try {
    const dir = await writeTlsFiles({ vmDir: work, tls: input.tls, endpoint: "client", owner: undefined });
    for (const [n, { d, i }] of writable.entries()) {
      if (control.signal.aborted) throw new Error("cancelled");
      const part = join(work, `${d.disk}.qcow2`);
      const { host, nbdPort } = input.source;
      const source = `driver=raw,file.driver=nbd,file.server.type=inet,file.server.host=${host},file.server.port=${nbdPort},file.export=disk${i},file.tls-creds=${TLS_OBJECT}`;
      const argv = [m.config.qemuImgBinary, "convert", "-p", "--object", tlsObjectArg(dir, "client"), "--image-opts", source];
      const step = steps.control(n, `disk ${n + 1} of ${writable.length}`);
      const onProgress = (pct: number) => step.report(pct, `${pct}%`);
      await qemuImg
        .spawnWithProgress(m.networks.runner.wrap([...argv, "-O", "raw", part]), { onProgress, signal: control.signal })
        .catch((err: Error) => {
          if (err.name === "AbortError") throw err;
          throw new EngineError(`copying disk '${d.disk}' failed: ${err.message}`);
        });
      const info = await qemuImg.info({ path: part, format: "qcow2", binary: m.config.qemuImgBinary }).catch((err: Error) => {
        throw new EngineError(`the copy of disk '${d.disk}' is not a readable qcow2 image: ${err.message}`);
      });
      const backing = info["backing-filename"];
      if (backing && !(await exists(join(m.paths.disksDir, backing)))) {
        throw new BadInputError(`disk '${d.disk}' is a linked clone of '${backing}', which this host lacks; move or copy its base first`);
      }
      const final = m.paths.diskPath(d.disk);
      if (await exists(final)) throw new InvalidStateError(`a disk '${d.disk}' appeared on this host during the copy`);
      await rename(part, final);
      copied.push(final);
    }
    await s.define(id, spec);
  } catch (err) {
    for (const f of copied) await rm(f, { force: true });
    throw err;
  } finally {
    moves.release(id, move);
    await rm(work, { recursive: true, force: true });
  }
}
