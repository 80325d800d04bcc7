/** The QMP client against a scripted fake QEMU on a unix socket. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { QmpClient, QmpClosedError, QmpError, QmpTimeoutError } from "./qmp.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "qmp-test-"));
});
after(() => rm(dir, { recursive: true, force: true }));

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}\r\n';

/** A fake QMP server: greets, then answers each command line through `reply`. */
async function fakeQemu(
  name: string,
  reply: (cmd: { execute: string; arguments?: Record<string, unknown>; id: string }, sock: Socket) => void,
): Promise<{ server: Server; path: string; sockets: Socket[] }> {
  const path = join(dir, name);
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    sock.write(GREETING);
    let buf = "";
    sock.on("data", (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        reply(JSON.parse(line), sock);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { server, path, sockets };
}

const answer = (sock: Socket, id: string, value: unknown) => sock.write(JSON.stringify({ return: value, id }) + "\r\n");

test("negotiates capabilities, matches replies to commands by id, forwards events", async () => {
  const seen: string[] = [];
  const fake = await fakeQemu("a.sock", (cmd, sock) => {
    seen.push(cmd.execute);
    if (cmd.execute === "query-status") {
      // An event arrives before the reply, split across writes.
      sock.write('{"timestamp": {"seconds": 1, "microseconds": 0}, "event": "RESU');
      sock.write('ME"}\r\n');
      setTimeout(() => answer(sock, cmd.id, { status: "running" }), 5);
    } else if (cmd.execute === "eject") {
      sock.write(JSON.stringify({ error: { class: "DeviceNotFound", desc: "Device 'x' not found" }, id: cmd.id }) + "\r\n");
    } else answer(sock, cmd.id, {});
  });
  const qmp = await QmpClient.connect(fake.path, { timeoutMs: 2000 });
  assert.equal(qmp.greeting?.version.major, 7);
  const events: string[] = [];
  qmp.on("event", (e) => events.push(e.event));
  const [status] = await Promise.all([qmp.execute<{ status: string }>("query-status"), qmp.execute("stop")]);
  assert.equal(status.status, "running");
  assert.deepEqual(events, ["RESUME"]);
  assert.deepEqual(seen, ["qmp_capabilities", "query-status", "stop"]);
  await assert.rejects(qmp.execute("eject", { id: "x" }), (err: Error) => {
    assert.ok(err instanceof QmpError);
    assert.equal(err.qmpClass, "DeviceNotFound");
    assert.equal(err.desc, "Device 'x' not found");
    return true;
  });
  qmp.close();
  fake.server.close();
});

test("a command without an answer times out; EOF fails pending commands and emits close", async () => {
  const fake = await fakeQemu("b.sock", (cmd, sock) => {
    if (cmd.execute === "qmp_capabilities") answer(sock, cmd.id, {});
  });
  const qmp = await QmpClient.connect(fake.path, { timeoutMs: 2000 });
  await assert.rejects(qmp.execute("query-status", undefined, { timeoutMs: 50 }), QmpTimeoutError);
  const pending = qmp.execute("cont");
  const closed = new Promise<void>((resolve) => qmp.once("close", resolve));
  const waiting = qmp.waitEvent("SHUTDOWN", { timeoutMs: 5000 });
  for (const s of fake.sockets) s.destroy();
  await assert.rejects(pending, QmpClosedError);
  await assert.rejects(waiting, QmpClosedError);
  await closed;
  assert.equal(qmp.closed, true);
  await assert.rejects(qmp.execute("stop"), QmpClosedError);
  fake.server.close();
});

test("connect waits for a socket that appears late, and gives up at the deadline", async () => {
  const late = join(dir, "late.sock");
  const connecting = QmpClient.connect(late, { timeoutMs: 3000 });
  const fake = await new Promise<Awaited<ReturnType<typeof fakeQemu>>>((resolve) =>
    setTimeout(() => resolve(fakeQemu("late.sock", (cmd, sock) => answer(sock, cmd.id, {}))), 100),
  );
  (await connecting).close();
  fake.server.close();
  await assert.rejects(QmpClient.connect(join(dir, "never.sock"), { timeoutMs: 100 }), /did not accept a connection in time/);
});

test("a server that never greets (e.g. QMP already taken) fails clearly", async () => {
  const path = join(dir, "silent.sock");
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  await assert.rejects(QmpClient.connect(path, { timeoutMs: 150 }), /no QMP greeting within/);
  server.close();
});
