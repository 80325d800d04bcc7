// Template capture through the console API against the real host service: a VM whose disk is a
// linked clone has it flattened into the template, and the task's percent is qemu-img's own as it
// copies (not only the console's 10 → 90 steps). A cancel from the Tasks panel's procedure stops the
// copy: no template row, no template folder (whole or partial) on the host, and the VM keeps its disk.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { createHostClient, type HostClient } from "@guesthouse/host-client";
import { apiWorld, type ApiWorld } from "./api-world.test-support.ts";
import { specForVm } from "./vm-spec.ts";

const GiB = 1024 * 1024 * 1024;
const data = process.env.GUESTHOUSE_DATA ?? "";
let w: ApiWorld;
let host: HostClient;
let api: Awaited<ReturnType<ApiWorld["makeUser"]>>["api"];
let email: string;
const base = `cbase${randomBytes(4).toString("hex")}`;
const made: { vms: string[]; templates: string[] } = { vms: [], templates: [] };

/** A stopped VM whose one disk is a linked clone of `base` (2 GiB of data, all of it to copy when flattened). */
async function linkedVm(): Promise<{ id: string; disk: string }> {
  const id = `vcap${randomBytes(5).toString("hex")}`;
  const disk = `${id}-d0`;
  await host.disk.clone.mutate({ id: disk, from: base });
  await w.t.db.vm.create({
    data: {
      id,
      name: `cap-${id.slice(-6)}`,
      hostId: w.hostId,
      memoryMiB: 64,
      disks: { create: { id: disk, slot: 0, path: `disk:${disk}`, sizeBytes: 0n } },
    },
  });
  await host.vm.define.mutate({ id, spec: await specForVm(w.t.db, id) });
  made.vms.push(id);
  return { id, disk };
}

before(async () => {
  assert.ok(data, "the host service npm test started names its data folder");
  w = await apiWorld({ realHost: true });
  host = createHostClient({ url: process.env.HOST_URL!, token: process.env.HOST_TOKEN! });
  const admin = await w.makeUser("capture-admin", [{ role: "Administrator" }]);
  api = admin.api;
  email = admin.email;
  await host.disk.create.mutate({ id: base, sizeBytes: 2 * GiB });
  const writes = [0, 1, 2, 3].flatMap((i) => ["-c", `write -P 0x${(0x5a + i).toString(16)} ${i * 512}M 512M`]);
  await promisify(execFile)("qemu-io", ["-f", "qcow2", ...writes, join(data, "host", "disks", `${base}.qcow2`)]);
});
after(async () => {
  for (const id of made.templates) await host.template.delete.mutate({ id }).catch(() => undefined);
  for (const id of made.vms) await host.vm.delete.mutate({ id, deleteDisks: true }).catch(() => undefined);
  await host.disk.delete.mutate({ id: base }).catch(() => undefined);
  await w.t.drop();
});

/** The capture task's progress figures as they change, until `until` says stop (checked on each change). */
async function watchTask(until: (task: { id: string; state: string; progress: number }) => boolean) {
  const seen: number[] = [];
  for (;;) {
    const task = await w.t.db.task.findFirst({ where: { kind: "template.capture" }, orderBy: { createdAt: "desc" } });
    if (task && seen.at(-1) !== task.progress) seen.push(task.progress);
    if (task && until(task)) return { task, seen };
    await new Promise((r) => setTimeout(r, 25)); // the next look at the row, not a wait in place of one
  }
}
const settle = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, error }),
  );
const templateFolders = async () => (await readdir(join(data, "host", "templates")).catch(() => [] as string[])).sort();

describe("a template capture's task: the host's progress, and cancelling it", () => {
  test("the percent rises through the flattening copy as qemu-img reports it, and the template is made", async () => {
    const vm = await linkedVm();
    const name = `tpl-${randomBytes(3).toString("hex")}`;
    const call = settle(api.template.fromVm({ vmId: vm.id, name }));
    const { seen } = await watchTask((task) => task.state !== "running");
    const result = await call;
    assert.ok(result.ok, `the capture succeeded: ${result.ok ? "" : result.error.message}`);
    const { id } = result.value as { id: string };
    made.templates.push(id);
    const between = seen.filter((p) => p > 10 && p < 90);
    assert.ok(between.length >= 2, `at least two of the copy's figures between the console's own 10 and 90, seen: ${seen.join(" → ")}`);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      "progress never goes back",
    );
    const task = await w.t.db.task.findFirstOrThrow({ where: { kind: "template.capture" }, orderBy: { createdAt: "desc" } });
    assert.equal(task.state, "succeeded");
    assert.ok(
      (task.log as { line: string }[]).some((l) => /^template capture: \d+% \(disk 1 of 1: /.test(l.line)),
      `the log has the copy's figures: ${JSON.stringify(task.log)}`,
    );
    assert.equal(await w.t.db.template.count({ where: { id, name } }), 1, "the template is listed");
    assert.ok(
      (await host.template.list.query()).some((t) => t.id === id),
      "and made on the host",
    );
  });

  test("a cancel mid-copy: the task ends cancelled, no template row or folder is left, the VM keeps its disk", async () => {
    const vm = await linkedVm();
    const name = `tpl-${randomBytes(3).toString("hex")}`;
    const foldersBefore = await templateFolders();
    const call = settle(api.template.fromVm({ vmId: vm.id, name }));
    const { task } = await watchTask((x) => x.state === "running" && x.progress > 10);
    const listed = (await api.task.list({})).find((x) => x.id === task.id);
    assert.equal(listed?.cancellable, true, "the Tasks panel offers Cancel while it copies");
    assert.deepEqual(await api.task.cancel({ id: task.id }), { ok: true });
    const result = await call;
    assert.equal(result.ok, false, "the capture call fails");
    const done = await w.t.db.task.findUniqueOrThrow({ where: { id: task.id } });
    assert.equal(done.state, "cancelled");
    assert.ok(done.progress < 90, `it stopped part-way (${done.progress}%)`);
    assert.match(
      (done.log as { line: string }[]).map((l) => l.line).join("\n"),
      new RegExp(`cancel requested by ${email}[\\s\\S]*cancelled by ${email}`),
    );
    assert.equal(await w.t.db.template.count({ where: { name } }), 0, "no template row");
    const { templateId } = done.input as { templateId: string };
    assert.ok(!(await host.template.list.query()).some((t) => t.id === templateId), "no template on the host");
    assert.deepEqual(await templateFolders(), foldersBefore, "no template folder, whole or partial");
    assert.equal((await host.vm.get.query({ id: vm.id })).state, "stopped", "the VM is still there, stopped");
    const disk = (await host.disk.list.query()).find((d) => d.id === vm.disk);
    assert.equal(disk?.backingDisk, base, "with its own disk, still the linked clone it was");
    assert.equal(await w.t.db.vm.count({ where: { id: vm.id } }), 1, "and its row");
  });
});
