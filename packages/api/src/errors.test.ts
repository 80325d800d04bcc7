import assert from "node:assert/strict";
import { test } from "node:test";
import { stripHostPaths, toTRPCError } from "./errors.ts";

test("host paths are reduced to their last part; other text is kept", () => {
  assert.equal(
    stripHostPaths("QEMU exited during start: could not open '/srv/gh/host/vms/web1/qemu.log': Permission denied"),
    "QEMU exited during start: could not open 'qemu.log': Permission denied",
  );
  assert.equal(stripHostPaths("ISO /data/media/a.iso is outside (/data/x, /opt/iso)"), "ISO a.iso is outside (x, iso)");
  assert.equal(stripHostPaths("failed to set MSR 0x10a to 0x69; ratio 1/2"), "failed to set MSR 0x10a to 0x69; ratio 1/2");
});

test("a host's domain error reaches the user with its code and words, even when it is a 500", () => {
  const fromHost = Object.assign(new Error("VM 'v1' failed to start: QEMU aborts in /srv/gh/host/vms/v1/qemu.log"), {
    data: { code: "INTERNAL_SERVER_ERROR", domainError: true },
  });
  const mapped = toTRPCError(fromHost);
  assert.equal(mapped.code, "INTERNAL_SERVER_ERROR");
  assert.equal(mapped.message, "VM 'v1' failed to start: QEMU aborts in qemu.log");
  const bug = Object.assign(new Error("TypeError: x is undefined"), { data: { code: "INTERNAL_SERVER_ERROR" } });
  assert.equal(toTRPCError(bug).message, "Something went wrong on the server");
  const refused = Object.assign(new Error("CPU model 'host' cannot run"), { data: { code: "BAD_REQUEST" } });
  assert.deepEqual([toTRPCError(refused).code, toTRPCError(refused).message], ["BAD_REQUEST", "CPU model 'host' cannot run"]);
});
