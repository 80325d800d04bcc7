/**
 * NICs hot-plugged into running tiny guests, on a nat network, inside a namespace this file makes and
 * always deletes: the guest's kernel sees the NIC, gets a DHCP lease on it (the host reads it from
 * dnsmasq's leases, as the console does), and loses it on unplug, after which the tap is gone too.
 * Modern only (virtio-net on a PCIe root port); legacy is refused with the reason.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import type { ImageManifest } from "@guesthouse/images";
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
} from "./harness.test-support.ts";
import { tapNameFor } from "./net/names.ts";
import { deleteAllTestNetns, inNetns, makeNetns } from "./net/test-netns.test-support.ts";

let host: TestHost | undefined;
let images: ImageManifest;
let hostNs: string;
const NAT = { id: "hpnet", kind: "nat" as const, bridge: "ghbrhptest", subnet: "10.210.0.0/24" };

before(async () => {
  images = await testImages();
  hostNs = makeNetns("hotplug");
  host = await openHost(await tempDataDir(), { netns: hostNs });
  await host.api.network.ensure({ network: NAT });
});
after(async () => {
  try {
    if (host) await destroyHost(host);
  } finally {
    deleteAllTestNetns();
  }
});

const nicOn = (network: string, model: VmNic["model"]): VmNic => ({
  slot: 0,
  mac: randomMac(randomBytes(5)),
  model,
  attach: { kind: "network", network },
  linkUp: true,
});
const tapExists = (tap: string) => inNetns(hostNs, ["ip", "-o", "link", "show"]).includes(`${tap}:`);

test("modern: a NIC hot-plugged into a running guest gets a lease; unplugged, it and its tap are gone", { timeout: 300_000 }, async () => {
  const h = host as TestHost;
  const id = "hp-modern";
  const spec = tinySpec(images, id, { nics: [] });
  await h.api.vm.define({ id, spec });
  await h.api.vm.start({ id });
  await waitSerial(h.service, id, PROMPT, { timeoutMs: 120_000 });

  const nic: VmNic = nicOn(NAT.id, "virtio-net-pci");
  const from = h.service.vms.get(id).serial.ring.total;
  const plugged = await h.api.vm.update({ id, spec: { ...spec, nics: [nic] } });
  assert.equal(plugged.state, "running", "the guest ran on through the plug");
  assert.deepEqual(plugged.spec.nics, [nic], "the host keeps the plugged NIC in the VM's spec");
  assert.ok(tapExists(tapNameFor(id, 0)), "the host made the NIC's tap");

  const text = await waitSerial(h.service, id, /gh-net: eth0 (10\.210\.0\.\d+)\r?\n/, { fromOffset: from, timeoutMs: 90_000 });
  const ip = (/gh-net: eth0 (10\.210\.0\.\d+)\r?\n/.exec(text) as RegExpExecArray)[1];
  const addresses = await h.api.network.addresses();
  assert.equal(addresses[nic.mac]?.ip, ip, "dnsmasq leased the address the guest printed, to the NIC's MAC");

  const beforeUnplug = h.service.vms.get(id).serial.ring.total;
  const unplugged = await h.api.vm.update({ id, spec: { ...spec, nics: [] } });
  assert.deepEqual(unplugged.spec.nics, []);
  await waitSerial(h.service, id, /gh-net: eth0 gone/, { fromOffset: beforeUnplug, timeoutMs: 30_000 });
  assert.equal(tapExists(tapNameFor(id, 0)), false, "the tap went with the NIC");

  // Paused, the guest could not answer an unplug: refused with the reason, nothing changed.
  await h.api.vm.pause({ id });
  await assert.rejects(
    h.api.vm.update({ id, spec: { ...spec, nics: [nic] } }),
    /is paused; resume it, or power it off, before adding a NIC/,
  );
  assert.deepEqual(h.service.vms.get(id).spec.nics, []);
  await h.api.vm.powerOff({ id });
});

test("legacy: a running VM's NICs are not hot-plugged, with the reason, and nothing changes", { timeout: 300_000 }, async () => {
  const h = host as TestHost;
  const id = "hp-legacy";
  const spec = tinySpec(images, id, { profile: "legacy", nics: [] });
  await h.api.vm.define({ id, spec });
  await h.api.vm.start({ id });
  await assert.rejects(
    h.api.vm.update({ id, spec: { ...spec, nics: [nicOn(NAT.id, "rtl8139")] } }),
    /has the legacy profile \(i440fx\), whose NICs are not hot-plugged here; power it off/,
  );
  assert.deepEqual(h.service.vms.get(id).spec.nics, []);
  assert.equal(tapExists(tapNameFor(id, 0)), false, "no tap was made");
  await h.api.vm.powerOff({ id });
});

test("two instant clones of a RAM template with a NIC each get their own MAC and their own lease", { timeout: 400_000 }, async () => {
  const h = host as TestHost;
  const nic = nicOn(NAT.id, "virtio-net-pci");
  await h.api.vm.define({ id: "hp-src", spec: tinySpec(images, "hp-src", { nics: [nic] }) });
  await h.api.vm.start({ id: "hp-src" });
  await waitSerial(h.service, "hp-src", /gh-net: eth0 10\.210\.0\.\d+\r?\n/, { timeoutMs: 120_000 });
  await waitSerial(h.service, "hp-src", PROMPT);
  await h.api.template.create({ id: "hp-tpl", fromVm: "hp-src" });

  const leased: string[] = [];
  for (const id of ["hp-c1", "hp-c2"]) {
    const clone = await h.api.template.clone({ templateId: "hp-tpl", id, name: id, mode: "instant" });
    assert.equal(clone.state, "running");
    const mac = clone.spec.nics[0]?.mac as string;
    assert.notEqual(mac, nic.mac, "a MAC of its own");
    // The template's guest printed its lease before capture; only a line after the swap counts.
    const text = await waitSerial(h.service, id, /gh-net: eth0 gone[\s\S]*gh-net: eth0 (10\.210\.0\.\d+)\r?\n/, { timeoutMs: 90_000 });
    const ip = (/gh-net: eth0 gone[\s\S]*gh-net: eth0 (10\.210\.0\.\d+)\r?\n/.exec(text) as RegExpExecArray)[1] as string;
    const seen = await serialRun(h.service, id, "echo mac-$(cat /sys/class/net/eth0/address)-x", /\nmac-([0-9a-f:]{17})-x/);
    assert.equal((/\nmac-([0-9a-f:]{17})-x/.exec(seen) as RegExpExecArray)[1], mac, "the clone's guest sends with its own MAC");
    assert.equal((await h.api.network.addresses())[mac]?.ip, ip, "dnsmasq leased that address to the clone's MAC");
    leased.push(ip);
  }
  assert.equal(new Set(leased).size, 2, `two different leases: ${leased.join(" ")}`);
});
