import assert from "node:assert/strict";
import { test } from "node:test";
import { patchList, type VmList } from "./vm-cache.ts";

const vm = (id: string, state: string) => ({ id, name: id, state, stateReason: "" }) as unknown as VmList["items"][number];
const list = {
  total: 2,
  page: 1,
  pageSize: 50,
  counts: { running: 1, stopped: 1 },
  items: [vm("a", "running"), vm("b", "stopped")],
} as VmList;

test("a state event changes that VM's row and the per-state counts, nothing else", () => {
  const patched = patchList(list, { type: "state", vmId: "a", state: "paused", reason: "host-request" });
  assert.deepEqual(
    patched.items.map((i) => [i.id, i.state, i.stateReason]),
    [
      ["a", "paused", "host-request"],
      ["b", "stopped", ""],
    ],
  );
  assert.deepEqual(patched.counts, { running: 0, stopped: 1, paused: 1 });
  assert.equal(patched.items[1], list.items[1], "other rows are kept as they were");
});

test("an event for a VM not on this page, or with nothing new, leaves the list as it is", () => {
  assert.equal(patchList(list, { type: "state", vmId: "zz", state: "running", reason: "" }), list);
  assert.equal(patchList(list, { type: "state", vmId: "a", state: "running", reason: "" }), list);
});
