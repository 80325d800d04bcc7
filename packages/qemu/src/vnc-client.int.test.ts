/**
 * A viewer's VNC connection made by us and handed to a real QEMU (ADR 0060): it speaks RFB, QEMU
 * writes into the send buffer we sized, and opening and closing viewers leaks no descriptor in
 * either process, also when QEMU refuses.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { VmSpecSchema } from "@guesthouse/shared/vm";
import { buildArgv } from "./argv.ts";
import { QemuInstance } from "./instance.ts";
import { runtimePaths } from "./runtime-paths.ts";
import { addVncClient, VNC_SEND_BUFFER_BYTES } from "./vnc-client.ts";

let dir: string;
let qemu: QemuInstance;
/** A tiny diskless guest of our own, in `stateDir`. */
const launchGuest = (id: string, stateDir: string, startPaused: boolean) =>
  QemuInstance.launch({
    binary: "qemu-system-x86_64",
    argv: buildArgv({
      id,
      spec: VmSpecSchema.parse({ name: id, memoryMiB: 32, cdrom: null }),
      stateDir,
      diskPaths: [],
      accel: "tcg",
      cpu: "qemu64",
      tcgTbSizeMiB: 16,
      startPaused,
    }),
    paths: runtimePaths(stateDir),
  });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "qemu-vnc-client-"));
  qemu = await launchGuest("v1", dir, false);
});
after(async () => {
  qemu.kill("SIGKILL");
  await qemu.exited;
  await rm(dir, { recursive: true, force: true });
});

const openDescriptors = async (pid: number) => (await readdir(`/proc/${pid}/fd`)).length;

/** The first `n` bytes the display server sends on `socket`. */
async function firstBytes(socket: Socket, n: number): Promise<string> {
  let got = Buffer.alloc(0);
  while (got.length < n) got = Buffer.concat([got, (await once(socket, "data"))[0] as Buffer]);
  return got.subarray(0, n).toString("latin1");
}

test("a connection handed to QEMU speaks RFB, and QEMU lists it as a client", { timeout: 30_000 }, async () => {
  const socket = new Socket({ fd: await addVncClient(qemu.qmp), readable: true, writable: true });
  try {
    assert.equal(await firstBytes(socket, 12), "RFB 003.008\n");
    const vnc = await qemu.qmp.execute<{ clients: { family: string }[] }>("query-vnc");
    assert.equal(vnc.clients.length, 1);
  } finally {
    socket.destroy();
  }
});

test("QEMU's end has the send buffer we asked for, not the kernel's default", { timeout: 30_000 }, async () => {
  const socket = new Socket({ fd: await addVncClient(qemu.qmp), readable: true, writable: true });
  try {
    await firstBytes(socket, 12);
    // ss shows each unix stream socket's peer and memory: QEMU's end of ours has tb (send buffer) set.
    const lines = execFileSync("ss", ["-x", "-m", "-p", "-n"], { encoding: "utf8" }).split("\n");
    // ss prints a socket's memory after it, on the same line or the next, depending on its version.
    const ofQemu = lines.flatMap((line, k) => (line.includes(`pid=${qemu.pid},`) ? [`${line} ${lines[k + 1] ?? ""}`] : []));
    const sendBuffers = ofQemu.map((line) => Number(/\btb(\d+)/.exec(line)?.[1] ?? 0));
    assert.ok(
      sendBuffers.some((tb) => tb >= 2 * VNC_SEND_BUFFER_BYTES),
      `QEMU's sockets' send buffers: ${sendBuffers.join(", ")}`,
    );
  } finally {
    socket.destroy();
  }
});

test("viewers that come and go, and one QEMU refuses, leave no descriptor open on either side", { timeout: 60_000 }, async () => {
  const closed = await closedQmp();
  const ours = await openDescriptors(process.pid);
  const qemus = await openDescriptors(qemu.pid);
  for (let i = 0; i < 30; i++) {
    const socket = new Socket({ fd: await addVncClient(qemu.qmp), readable: true, writable: true });
    await firstBytes(socket, 12);
    socket.destroy();
    await once(socket, "close");
  }
  // A QMP connection that is gone: the caller is told, and our end of the pair is closed.
  await assert.rejects(addVncClient(closed), /closed/);
  // QEMU closes a departed client's socket on its next main-loop turn.
  const deadline = Date.now() + 5000;
  while ((await openDescriptors(qemu.pid)) > qemus && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await openDescriptors(qemu.pid), qemus, "QEMU holds no descriptor of a departed viewer");
  assert.equal(await openDescriptors(process.pid), ours, "the host holds no descriptor of a departed viewer");
});

/** The QMP client of a QEMU that has exited: every command fails with QmpClosedError. */
async function closedQmp() {
  await mkdir(join(dir, "v2"));
  const other = await launchGuest("v2", join(dir, "v2"), true);
  other.kill("SIGKILL");
  await other.exited;
  await other.qmp.closedPromise;
  return other.qmp;
}
