import assert from "node:assert/strict";
import { test } from "node:test";
import { VmStateSchema } from "./vm.ts";
import { isAllowed, powerButtons, refusal, VM_OPERATIONS, type VmOperationName } from "./vm-operations.ts";

test("the legal moves", () => {
  assert.ok(isAllowed("start", "stopped"));
  assert.ok(isAllowed("pause", "running"));
  assert.ok(isAllowed("resume", "paused"));
  assert.ok(isAllowed("save", "paused"));
  assert.ok(isAllowed("restore", "suspended"));
  assert.ok(isAllowed("powerOff", "stopping"), "power-off may cut a slow ACPI shutdown short");
  assert.ok(isAllowed("delete", "suspended"));
  assert.ok(isAllowed("makeTemplate", "paused"));
  assert.ok(!isAllowed("start", "unknown"), "nothing runs on a VM whose host cannot be reached");
});

test("refusals name the VM and say what to do", () => {
  assert.equal(refusal("start", "web1", "running"), "VM 'web1' is already running");
  assert.match(refusal("start", "web1", "paused")!, /resume it instead/);
  assert.match(refusal("start", "web1", "suspended")!, /restore it, or discard/);
  assert.match(refusal("delete", "web1", "running")!, /power it off before deleting it/);
  assert.match(refusal("pause", "web1", "stopped")!, /is not running/);
  assert.match(refusal("start", "web1", "starting")!, /is busy \(starting\)/);
  assert.match(refusal("update", "web1", "running")!, /is running; power it off before changing its hardware/);
  assert.match(refusal("console", "web1", "stopped")!, /start it to see its screen/);
  assert.match(refusal("reset", "web1", "unknown")!, /cannot be reached/);
  assert.equal(refusal("start", "web1", "stopped"), undefined);
  assert.equal(refusal("nicAdd", "web1", "running"), undefined, "a NIC is hot-plugged into a running guest");
  assert.match(refusal("nicAdd", "web1", "paused")!, /resume it, or power it off, before adding a NIC/);
  assert.match(refusal("nicRemove", "web1", "suspended")!, /saved state made with its present NICs/);
  assert.equal(refusal("nicLink", "web1", "running"), undefined, "a link goes up or down live");
});

test("every operation is allowed in some state, refused in another, and every refusal names the VM", () => {
  const states = [...VmStateSchema.options, "unknown" as const];
  for (const op of Object.keys(VM_OPERATIONS) as VmOperationName[]) {
    assert.ok(
      states.some((s) => isAllowed(op, s)),
      op,
    );
    assert.ok(
      states.some((s) => !isAllowed(op, s)),
      op,
    );
    for (const s of states) if (!isAllowed(op, s)) assert.match(refusal(op, "x", s)!, /VM 'x'/, `${op} in ${s}`);
  }
});

test("the power buttons come from the table, each disabled one with its reason", () => {
  const stopping = powerButtons("stopping", "web1");
  assert.deepEqual(
    stopping.map((b) => b.label),
    ["Start", "Restore", "Shut down", "Power off", "Reset", "Pause", "Resume", "Save state"],
  );
  // The case a slow ACPI shutdown needs: power-off stays available while the VM is stopping.
  assert.equal(stopping.find((b) => b.op === "powerOff")?.disabledReason, undefined);
  assert.match(stopping.find((b) => b.op === "start")!.disabledReason!, /is busy \(stopping\)/);
  const running = powerButtons("running", "web1");
  assert.deepEqual(
    running.filter((b) => !b.disabledReason).map((b) => b.op),
    ["shutdown", "powerOff", "reset", "pause", "save"],
  );
  assert.deepEqual(
    powerButtons("suspended", "web1")
      .filter((b) => !b.disabledReason)
      .map((b) => b.op),
    ["restore"],
  );
});
