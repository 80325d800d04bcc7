/**
 * A NIC's MAC is what the guest sees, and it stays across a restart and a snapshot revert; clones get
 * MACs of their own (instant, linked and full; an instant clone's guest is handed its own NIC after
 * the restore, in place of the template's). User-mode NICs, in a namespace this file makes.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { randomMac, type VmNic } from "@guesthouse/shared/network";
import {
  destroyHost,
  openHost,
  PROMPT,
  serialRun,
  tempDataDir,
  testImages,
  tinySpec,
  waitSerial,
  type TestHost,
} from "../harness.test-support.ts";
import { deleteAllTestNetns, makeNetns } from "./test-netns.test-support.ts";

let host: TestHost | undefined;
const MiB = 1024 * 1024;

before(async () => {
  host = await openHost(await tempDataDir(), { netns: makeNetns("macs") });
});
after(async () => {
  try {
    if (host) await destroyHost(host);
  } finally {
    deleteAllTestNetns();
  }
});

/** The MAC as the guest's kernel reports it. */
async function guestMac(id: string, tag: string): Promise<string> {
  const h = host as TestHost;
  const out = await serialRun(h.service, id, `echo ${tag}-$(cat /sys/class/net/eth0/address)-x`, new RegExp(`\\n${tag}-([0-9a-f:]{17})-x`));
  return (new RegExp(`\\n${tag}-([0-9a-f:]{17})-x`).exec(out) as RegExpExecArray)[1] as string;
}

async function boot(id: string, from = 0): Promise<void> {
  await (host as TestHost).api.vm.start({ id });
  await waitSerial((host as TestHost).service, id, PROMPT, { fromOffset: from, timeoutMs: 120_000 });
}

test("the guest keeps its MAC across a restart and a snapshot revert; clones get their own", { timeout: 600_000 }, async () => {
  const h = host as TestHost;
  const images = await testImages();
  const nic: VmNic = { slot: 0, mac: randomMac(randomBytes(5)), model: "virtio-net-pci", attach: { kind: "user" }, linkUp: true };
  await h.api.disk.create({ id: "macdisk", sizeBytes: 32 * MiB });
  await h.api.vm.define({ id: "m", spec: tinySpec(images, "m", { disks: [{ disk: "macdisk" }], nics: [nic] }) });
  await boot("m");
  assert.equal(await guestMac("m", "boot1"), nic.mac, "the guest sees the MAC the NIC was given");

  await h.api.vm.powerOff({ id: "m" });
  await boot("m", h.service.vms.get("m").serial.ring.total);
  assert.equal(await guestMac("m", "boot2"), nic.mac, "the same MAC after a restart");

  await h.api.snapshot.take({ id: "m", name: "s1" });
  await h.api.snapshot.revert({ id: "m", name: "s1" });
  assert.equal(await guestMac("m", "revert"), nic.mac, "and after a snapshot revert");
  await h.api.snapshot.delete({ id: "m", name: "s1" });

  // A RAM template: its instant clone swaps the template's NICs for its own (ADR 0058); linked and full clones get fresh MACs.
  await h.api.template.create({ id: "mtpl", fromVm: "m" });
  const instant = await h.api.template.clone({ templateId: "mtpl", id: "mi", name: "mi", mode: "instant" });
  assert.equal(instant.state, "running");
  assert.notEqual(instant.spec.nics[0]?.mac, nic.mac);
  // The swap happens in the running guest: its old eth0 goes, then its own comes up. Reading the
  // address in between finds no eth0 at all; and the old NIC's DHCP client can still report a
  // lease after "gone" (seen under load), so the guest itself waits for the new eth0 to exist.
  await waitSerial(h.service, "mi", /gh-net: eth0 gone[\s\S]*gh-net: eth0 \d/, { timeoutMs: 60_000 });
  await serialRun(h.service, "mi", "until [ -e /sys/class/net/eth0 ]; do sleep 0.1; done; echo eth0-back", /\neth0-back\r?\n/);
  assert.equal(
    await guestMac("mi", "instant"),
    instant.spec.nics[0]?.mac,
    "the instant clone's guest sees its own MAC, not the template's",
  );
  const linked = await h.api.template.clone({ templateId: "mtpl", id: "ml", name: "ml", mode: "linked" });
  const full = await h.api.template.clone({ templateId: "mtpl", id: "mf", name: "mf", mode: "full" });
  const macs = [nic.mac, instant.spec.nics[0]?.mac, linked.spec.nics[0]?.mac, full.spec.nics[0]?.mac];
  assert.equal(new Set(macs).size, 4, `four different MACs: ${macs.join(" ")}`);
  assert.equal(linked.spec.nics.length, 1);
  assert.deepEqual(linked.spec.nics[0]?.attach, nic.attach, "on the template's network");
  await boot("ml");
  assert.equal(await guestMac("ml", "linked"), linked.spec.nics[0]?.mac, "the linked clone's guest sees its own MAC");
});
