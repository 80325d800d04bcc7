import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeQmpCommand, LineSplitter, parseQmpMessage, QmpProtocolError } from "./qmp-protocol.ts";

test("greeting", () => {
  const m = parseQmpMessage(
    '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2"}, "capabilities": ["oob"]}}',
  );
  assert.deepEqual(m, { kind: "greeting", version: { major: 7, minor: 2, micro: 22, package: "Debian 1:7.2" }, capabilities: ["oob"] });
});

test("return and error carry the command id", () => {
  assert.deepEqual(parseQmpMessage('{"return": {"status": "running"}, "id": "gh-3"}'), {
    kind: "return",
    id: "gh-3",
    value: { status: "running" },
  });
  assert.deepEqual(parseQmpMessage('{"error": {"class": "DeviceNotFound", "desc": "Device \'x\' not found"}, "id": "gh-4"}'), {
    kind: "error",
    id: "gh-4",
    errorClass: "DeviceNotFound",
    desc: "Device 'x' not found",
  });
});

test("events with timestamps", () => {
  const e = parseQmpMessage(
    '{"timestamp": {"seconds": 1700000000, "microseconds": 250000}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}',
  );
  assert.deepEqual(e, { kind: "event", event: "SHUTDOWN", data: { guest: true, reason: "guest-shutdown" }, at: 1700000000250 });
  assert.deepEqual(parseQmpMessage('{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 0}}'), {
    kind: "event",
    event: "STOP",
    data: {},
    at: 1000,
  });
});

test("garbage is a protocol error", () => {
  assert.throws(() => parseQmpMessage("not json"), QmpProtocolError);
  assert.throws(() => parseQmpMessage("[1,2]"), QmpProtocolError);
  assert.throws(() => parseQmpMessage('{"what": 1}'), QmpProtocolError);
});

test("commands are one JSON line with an id", () => {
  assert.equal(encodeQmpCommand("stop", undefined, "gh-1"), '{"execute":"stop","id":"gh-1"}\n');
  assert.equal(encodeQmpCommand("eject", { id: "cdrom0" }, "gh-2"), '{"execute":"eject","arguments":{"id":"cdrom0"},"id":"gh-2"}\n');
});

test("line splitting survives arbitrary chunk boundaries and CRLF", () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('{"a":1}\r\n{"b"'), ['{"a":1}']);
  assert.deepEqual(s.push(":2}\r"), []);
  assert.deepEqual(s.push('\n\r\n{"c":3}\n'), ['{"b":2}', '{"c":3}']);
});
