import assert from "node:assert/strict";
import { test } from "node:test";
import { CopySteps } from "./copy-steps.ts";
import type { LongOpControl } from "./long-ops.ts";

function recorder() {
  const seen: number[] = [];
  const control: LongOpControl = {
    signal: new AbortController().signal,
    report: (p) => seen.push(p),
    pollWith: () => undefined,
  };
  return { seen, control };
}

test("each step's percent lands in its share of the whole, weighted by its bytes", () => {
  const { seen, control } = recorder();
  const steps = new CopySteps(control, [100, 0, 300]);
  const ram = steps.control(0, "RAM state");
  ram.report(50);
  ram.report(100);
  steps.control(1, "disk 1 of 2"); // renamed, not copied: no figure of its own
  const disk = steps.control(2, "disk 2 of 2");
  disk.report(50);
  disk.report(100);
  assert.deepEqual(seen, [0, 12.5, 25, 25, 62.5, 100]);
});

test("a capture that copies nothing never rises above 0", () => {
  const { seen, control } = recorder();
  const steps = new CopySteps(control, [0, 0]);
  steps.control(0, "RAM state").report(100);
  assert.deepEqual(seen, [0]);
});
