import assert from "node:assert/strict";
import { test } from "node:test";
import { VmStateSchema } from "@guesthouse/shared/vm";
import { InvalidStateError } from "./errors.ts";
import { assertAllowed, isAllowed, refusal } from "./transitions.ts";

test("the legal moves", () => {
  assert.ok(isAllowed("start", "stopped"));
  assert.ok(isAllowed("pause", "running"));
  assert.ok(isAllowed("resume", "paused"));
  assert.ok(isAllowed("save", "paused"));
  assert.ok(isAllowed("restore", "suspended"));
  assert.ok(isAllowed("powerOff", "stopping"), "power-off may cut a slow ACPI shutdown short");
  assert.ok(isAllowed("delete", "suspended"));
});

test("refusals name the VM and say what to do", () => {
  assert.equal(refusal("start", "web1", "running"), "VM 'web1' is already running");
  assert.match(refusal("start", "web1", "paused"), /resume it instead/);
  assert.match(refusal("start", "web1", "suspended"), /restore it, or discard/);
  assert.match(refusal("delete", "web1", "running"), /power it off before deleting it/);
  assert.match(refusal("pause", "web1", "stopped"), /is not running/);
  assert.match(refusal("start", "web1", "starting"), /is busy \(starting\)/);
  assert.throws(() => assertAllowed("resume", "web1", "running"), InvalidStateError);
});

test("every operation is refused in some state and allowed in another", () => {
  const states = VmStateSchema.options;
  for (const op of ["update", "start", "shutdown", "powerOff", "reset", "pause", "resume", "save", "restore", "delete"] as const) {
    assert.ok(
      states.some((s) => isAllowed(op, s)),
      op,
    );
    assert.ok(
      states.some((s) => !isAllowed(op, s)),
      op,
    );
    for (const s of states) if (!isAllowed(op, s)) assert.match(refusal(op, "x", s), /VM 'x'/);
  }
});
