/**
 * Moves a host refuses, each with its reason and leaving both hosts as they were; bad input named
 * by field; and a stopped VM (with an internal snapshot) moved cold, byte for byte, booting at the target.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ImageManifest } from "@guesthouse/images";
import type { AccelInfo } from "@guesthouse/shared/cpu-models";
import {
  destroyHost,
  openHost,
  PROMPT,
  serialRun,
  tempDataDir,
  testAccel,
  testImages,
  tinySpec,
  waitSerial,
  type TestHost,
} from "./harness.test-support.ts";
import { endpoint, openTwoHosts, SOURCE_ADDR, TARGET_ADDR, type TwoHosts } from "./migration/two-hosts.test-support.ts";

let hosts: TwoHosts;
let images: ImageManifest;
const MiB = 1024 * 1024;

before(async () => {
  images = await testImages();
  hosts = await openTwoHosts();
  const { source } = hosts;
  await source.api.disk.create({ id: "stay-d", sizeBytes: 16 * MiB });
  await source.api.vm.define({ id: "stay", spec: tinySpec(images, "stay", { disks: [{ disk: "stay-d" }] }) });
  await source.api.vm.start({ id: "stay" });
  await waitSerial(source.service, "stay", PROMPT, { timeoutMs: 90_000 });
});
after(async () => hosts.close());

async function refused(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: Error & { code?: string }) => {
    assert.equal(err.code, code, `code for: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

/** What each host holds: VMs with their states, and disks. */
async function picture(h: TestHost) {
  return {
    vms: (await h.api.vm.list()).map((v) => `${v.id}:${v.state}`),
    disks: (await h.api.disk.list()).map((d) => d.id).sort(),
  };
}

async function unchanged(f: () => Promise<void>): Promise<void> {
  const before = [await picture(hosts.source), await picture(hosts.target)];
  await f();
  assert.deepEqual([await picture(hosts.source), await picture(hosts.target)], before, "both hosts as they were");
}

const prepareInput = async (id: string, over: Record<string, unknown> = {}) => {
  const d = await hosts.source.api.migration.describe({ id });
  return { id, spec: d.spec, disks: d.disks, listen: endpoint(TARGET_ADDR), tls: hosts.tls.toTarget.server, ...over };
};

test("a move onto the VM's own host is refused", async () => {
  await unchanged(async () => {
    const input = await prepareInput("stay");
    await refused(
      hosts.source.api.migration.prepare({ ...input, listen: endpoint(SOURCE_ADDR) }),
      "CONFLICT",
      /VM 'stay' is already on this host; a move needs another host/,
    );
  });
});

test("a target without the VM's CPU model refuses it, naming the models it has", async () => {
  const accel: AccelInfo = structuredClone(await testAccel());
  for (const m of accel.models) if (m.id === "x86-64-v2") Object.assign(m, { usable: false, detail: "this test's machine lacks it" });
  const other = await openHost(await tempDataDir(), { accel });
  try {
    const input = await prepareInput("stay", { spec: { ...(await prepareInput("stay")).spec, cpuModel: "x86-64-v2" } });
    await refused(
      other.api.migration.prepare(input),
      "BAD_REQUEST",
      /cannot run CPU model 'x86-64-v2' on this machine \(this test's machine lacks it\); choose /,
    );
    assert.deepEqual(await picture(other), { vms: [], disks: [] });
  } finally {
    await destroyHost(other);
  }
});

test("a target without the RAM refuses it", async () => {
  await unchanged(async () => {
    const input = await prepareInput("stay");
    await refused(
      hosts.target.api.migration.prepare({ ...input, spec: { ...input.spec, memoryMiB: 1024 * 1024 } }),
      "PRECONDITION_FAILED",
      /VM 'stay' asks for 1048576 MiB of RAM but this host has only \d+ MiB/,
    );
  });
});

test("a stopped VM is not moved live, and a running one not cold", async () => {
  await hosts.source.api.vm.define({ id: "idle", spec: tinySpec(images, "idle") });
  await unchanged(async () => {
    await refused(
      hosts.source.api.migration.start({ id: "idle", target: endpoint(TARGET_ADDR), tls: hosts.tls.toTarget.client }),
      "CONFLICT",
      /VM 'idle' is stopped; a live move needs it running \(a stopped VM moves cold\)/,
    );
    await refused(
      hosts.source.api.migration.coldExport({ id: "stay", listen: endpoint(SOURCE_ADDR), tls: hosts.tls.toSource.server }),
      "CONFLICT",
      /VM 'stay' is running; a cold move needs it stopped \(a running VM moves live\)/,
    );
  });
  await hosts.source.api.vm.delete({ id: "idle" });
});

test("a second move of the same VM while one runs is refused, and the first can still be cancelled", async () => {
  const input = await prepareInput("stay");
  await hosts.target.api.migration.prepare(input);
  const first = hosts.source.api.migration.start({
    id: "stay",
    target: input.listen,
    tls: hosts.tls.toTarget.client,
    maxBandwidth: 1 * MiB,
  });
  first.catch(() => undefined);
  await refused(
    hosts.source.api.migration.start({ id: "stay", target: input.listen, tls: hosts.tls.toTarget.client }),
    "CONFLICT",
    /VM 'stay' is already being moved; wait for that move or cancel it/,
  );
  await refused(hosts.target.api.migration.prepare(input), "CONFLICT", /VM 'stay' is already on this host/);
  await hosts.source.api.migration.cancel({ id: "stay" });
  await assert.rejects(first, /was cancelled/);
  // The stream never began (cancelled while the disk was mirrored): the console removes the target's half.
  if ((await hosts.target.api.vm.list()).some((v) => v.id === "stay")) await hosts.target.api.migration.abort({ id: "stay" });
  assert.deepEqual(await picture(hosts.target), { vms: [], disks: [] });
  assert.equal((await hosts.source.api.vm.get({ id: "stay" })).state, "running");
  await serialRun(hosts.source.service, "stay", "echo alive-$((40+2))", /\nalive-42\r?\n/);
});

test("a VM with an internal snapshot does not move live (the snapshot would not travel)", async () => {
  await hosts.source.api.snapshot.take({ id: "stay", name: "before" });
  await unchanged(async () => {
    await refused(
      hosts.source.api.migration.start({ id: "stay", target: endpoint(TARGET_ADDR), tls: hosts.tls.toTarget.client }),
      "CONFLICT",
      /VM 'stay' has 1 internal snapshot\(s\) on disk 'stay-d'; they do not travel live/,
    );
  });
});

test("bad input is refused naming the field", async () => {
  const input = await prepareInput("stay");
  await refused(
    hosts.target.api.migration.prepare({ ...input, listen: { ...input.listen, migrationPort: 80 } }),
    "BAD_REQUEST",
    /migrationPort/,
  );
  await refused(hosts.target.api.migration.prepare({ ...input, listen: { ...input.listen, host: "a;b" } }), "BAD_REQUEST", /host/);
  await refused(hosts.target.api.migration.prepare({ ...input, tls: { ...input.tls, key: "not a key" } }), "BAD_REQUEST", /key/);
  await refused(hosts.source.api.migration.cancel({ id: "stay" }), "CONFLICT", /VM 'stay' is not being moved from this host/);
  await refused(hosts.target.api.migration.finish({ id: "nothere" }), "NOT_FOUND", /no VM with id 'nothere'/);
});

test("a stopped VM moves cold, its internal snapshot with it, and boots at the target", async () => {
  const { source, target } = hosts;
  await source.api.vm.powerOff({ id: "stay" });
  const spec = (await source.api.vm.get({ id: "stay" })).spec;
  const listen = endpoint(SOURCE_ADDR);
  await source.api.migration.coldExport({ id: "stay", listen, tls: hosts.tls.toSource.server });
  try {
    const view = await target.api.migration.coldImport({ id: "stay", spec, source: listen, tls: hosts.tls.toSource.client });
    assert.equal(view.state, "stopped");
  } finally {
    await source.api.migration.coldExportEnd({ id: "stay" });
  }
  await source.api.vm.delete({ id: "stay", deleteDisks: true });
  assert.deepEqual(await picture(source), { vms: [], disks: [] });
  assert.deepEqual(
    (await target.api.snapshot.list({ id: "stay" })).map((s) => s.name),
    ["before"],
  );
  await target.api.vm.start({ id: "stay" });
  await waitSerial(target.service, "stay", PROMPT, { timeoutMs: 90_000 });
  await serialRun(target.service, "stay", "echo cold-$((40+2))", /\ncold-42\r?\n/);
});
