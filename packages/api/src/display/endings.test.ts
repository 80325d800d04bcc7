import { test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { displayEndings } from "./endings.ts";
import { displayViewers } from "./viewers.ts";
import { issueDisplayTicket } from "../routers/display.ts";

test("ending a VM's display closes its viewers with the reason, and a reconnect is refused with it", () => {
  const reasons: string[] = [];
  const watcher = displayViewers.add({ vmId: "vm-end", userId: "u", userEmail: "u@x", mode: "view", disconnect: (r) => reasons.push(r) });
  const elsewhere = displayViewers.add({
    vmId: "vm-other",
    userId: "u",
    userEmail: "u@x",
    mode: "view",
    disconnect: (r) => reasons.push(`other ${r}`),
  });
  try {
    displayEndings.end("vm-end", "the VM was powered off by a@b.c");
    assert.deepEqual(reasons, ["the VM was powered off by a@b.c"]);
    assert.equal(displayEndings.get("vm-end")?.reason, "the VM was powered off by a@b.c");
    const vm = { id: "vm-end", name: "web1", hostId: "h", state: "stopped" };
    assert.throws(
      () => issueDisplayTicket(vm, { userId: "u", userEmail: "u@x" }, "view", { takeOver: false }),
      (e: unknown) =>
        e instanceof TRPCError &&
        e.code === "CONFLICT" &&
        e.message === "VM 'web1' is stopped: start it to see its screen (the VM was powered off by a@b.c)",
    );
    displayEndings.forget("vm-end");
    assert.equal(displayEndings.get("vm-end"), null);
  } finally {
    displayViewers.remove(watcher.id);
    displayViewers.remove(elsewhere.id);
  }
});
