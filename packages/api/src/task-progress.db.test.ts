// A full clone's task through the console API against the real host service: its progress is
// qemu-img's own as the 2 GiB disk is copied (not only the console's 10 → 90 steps), and a cancel
// from the Tasks panel's procedure stops the copy, leaves no VM and no disk on either side, and
// ends the task "cancelled". A cancel asked of a console that then died is closed by reconciliation.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createHostClient, type HostClient } from "@guesthouse/host-client";
import { createContextInner } from "./context.ts";
import { createHostGateway } from "./host-gateway.ts";
import { createCaller } from "./root.ts";
import { reconcileTasks } from "./task-reconcile.ts";
import { specForVm } from "./vm-spec.ts";

const GiB = 1024 * 1024 * 1024;
let t: TestDatabase;
let host: HostClient;
let hostId: string;
let api: ReturnType<typeof createCaller>;
let email: string;
let templateId: string;
const cloned: string[] = [];

/** A VM whose 2 GiB disk holds data all through (so qemu-img has every byte to copy), made a template on the host. */
async function bigTemplate(): Promise<string> {
  const id = `vprog${randomBytes(5).toString("hex")}`;
  const disk = `${id}-d0`;
  await host.disk.create.mutate({ id: disk, sizeBytes: 2 * GiB });
  const file = join(process.env.GUESTHOUSE_DATA ?? "", "host", "disks", `${disk}.qcow2`);
  // 2 GiB, so that on a quiet machine too the copy lasts long enough to be watched and cancelled.
  const writes = [0, 1, 2, 3].flatMap((i) => ["-c", `write -P 0x${(0x3c + i).toString(16)} ${i * 512}M 512M`]);
  await promisify(execFile)("qemu-io", ["-f", "qcow2", ...writes, file]);
  await t.db.vm.create({
    data: {
      id,
      name: `prog-${id.slice(-6)}`,
      hostId,
      memoryMiB: 64,
      disks: { create: { id: disk, slot: 0, path: `disk:${disk}`, sizeBytes: 0n } },
    },
  });
  await host.vm.define.mutate({ id, spec: await specForVm(t.db, id) });
  const tplId = `tprog${randomBytes(5).toString("hex")}`;
  await host.template.create.mutate({ id: tplId, fromVm: id });
  await t.db.vm.delete({ where: { id } });
  await t.db.template.create({ data: { id: tplId, name: `big-${tplId.slice(-6)}`, hostId, onHost: true, memoryMiB: 64 } });
  return tplId;
}

before(async () => {
  assert.ok(process.env.HOST_URL && process.env.HOST_TOKEN && process.env.GUESTHOUSE_DATA, "the host service npm test started");
  t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
  host = createHostClient({ url: process.env.HOST_URL, token: process.env.HOST_TOKEN });
  hostId = (await t.db.host.create({ data: { name: "local", url: process.env.HOST_URL, tokenHash: "-" } })).id;
  const role = await t.db.role.findUniqueOrThrow({ where: { name: "Administrator" } });
  const user = await t.db.user.create({
    data: { email: `prog-${randomBytes(3).toString("hex")}@test.local`, name: "p", passwordHash: "!" },
  });
  await t.db.accessGrant.create({ data: { roleId: role.id, userId: user.id, scope: "global" } });
  const session = await t.db.session.create({
    data: { tokenHash: `t-${user.id}`, userId: user.id, expiresAt: new Date(Date.now() + 600_000) },
  });
  email = user.email;
  api = createCaller(
    createContextInner({
      db: t.db,
      hosts: createHostGateway(t.db, process.env.HOST_TOKEN),
      ip: "test",
      secureCookies: false,
      user: { id: user.id, email: user.email, name: "p", sessionId: session.id },
    }),
  );
  templateId = await bigTemplate();
});
after(async () => {
  for (const id of cloned) await host.vm.delete.mutate({ id, deleteDisks: true }).catch(() => undefined);
  await host.template.delete.mutate({ id: templateId }).catch(() => undefined);
  await t.drop();
});

/** The clone task's progress figures as they change, until `until` says stop (checked on each change). */
async function watchTask(until: (task: { id: string; state: string; progress: number }) => boolean | Promise<boolean>) {
  const seen: number[] = [];
  for (;;) {
    const task = await t.db.task.findFirst({ where: { kind: "template.clone" }, orderBy: { createdAt: "desc" } });
    if (task && seen.at(-1) !== task.progress) seen.push(task.progress);
    if (task && (await until(task))) return { task, seen };
    await new Promise((r) => setTimeout(r, 25)); // the next look at the row, not a wait in place of one
  }
}
const settle = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, error }),
  );

describe("a full clone's task: the host's progress, and cancelling it", () => {
  test("the progress moves through the copy as qemu-img reports it, and the task succeeds", async () => {
    const name = `full-${randomBytes(3).toString("hex")}`;
    const call = settle(api.template.clone({ templateId, name, mode: "full" }));
    const { seen } = await watchTask((task) => task.state !== "running");
    const result = await call;
    assert.ok(result.ok, `the clone succeeded: ${result.ok ? "" : result.error.message}`);
    cloned.push((result.value as { id: string }).id);
    const between = seen.filter((p) => p > 10 && p < 90);
    // A step-wise task shows only 10 and 90; how many of the host's figures land in between depends
    // on how fast the copy runs (on a quiet machine 1 GiB copies in under a second).
    assert.ok(between.length >= 1, `figures from the copy between the console's own 10 and 90 steps, seen: ${seen.join(" → ")}`);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      "progress never goes back",
    );
    const task = await t.db.task.findFirstOrThrow({ where: { kind: "template.clone" }, orderBy: { createdAt: "desc" } });
    assert.equal(task.state, "succeeded");
    assert.ok(
      (task.log as { line: string }[]).some((l) => /^full clone: \d+%/.test(l.line)),
      "the log has the copy's figures at each quarter",
    );
  });

  test("a cancel stops the copy: the task ends cancelled, no VM and no disk are left", async () => {
    const name = `cancel-${randomBytes(3).toString("hex")}`;
    const call = settle(api.template.clone({ templateId, name, mode: "full" }));
    const { task } = await watchTask((x) => x.state === "running" && x.progress > 10);
    const listed = (await api.task.list({})).find((x) => x.id === task.id);
    assert.equal(listed?.cancellable, true, "the Tasks panel offers Cancel while it copies");
    assert.deepEqual(await api.task.cancel({ id: task.id }), { ok: true });
    const result = await call;
    assert.equal(result.ok, false, "the clone call fails");
    const done = await t.db.task.findUniqueOrThrow({ where: { id: task.id } });
    assert.equal(done.state, "cancelled");
    assert.ok(done.progress < 90, `it stopped part-way (${done.progress}%)`);
    assert.match(
      (done.log as { line: string }[]).map((l) => l.line).join("\n"),
      new RegExp(`cancel requested by ${email}[\\s\\S]*cancelled by ${email}`),
    );
    const vmId = (done.input as { vmId: string }).vmId;
    assert.equal(await t.db.vm.count({ where: { name } }), 0, "no VM row");
    await assert.rejects(host.vm.get.query({ id: vmId }), /not found|no VM|unknown/i);
    assert.deepEqual(
      (await host.disk.list.query()).filter((d) => d.id.startsWith(vmId)).map((d) => d.id),
      [],
      "the partial copy is gone",
    );
    const audited = await t.db.auditEvent.findFirst({ where: { action: "task.cancel", taskId: task.id } });
    assert.equal(audited?.outcome, "success");
    assert.equal((await settle(api.task.cancel({ id: task.id }))).ok, false, "an ended task cannot be cancelled again");
  });

  test("a cancel asked of a console that died before the host answered: reconciliation closes the task cancelled", async () => {
    const vmId = `vgone${randomBytes(5).toString("hex")}`;
    const task = await t.db.task.create({
      data: {
        kind: "template.clone",
        hostId,
        actorName: email,
        state: "running",
        owner: "a-console-that-died",
        input: { vmId, templateId, name: "never", mode: "full", cancelRequestedBy: email },
      },
    });
    await reconcileTasks(t.db, host, hostId);
    const done = await t.db.task.findUniqueOrThrow({ where: { id: task.id } });
    assert.equal(done.state, "cancelled");
    assert.match(done.log ? JSON.stringify(done.log) : "", /cancelled by .*the host had not made the clone/);
  });
});
