/**
 * Real guests on real networks, all inside namespaces this file makes and always deletes: a "host"
 * namespace where the host service realises its networks, and a "lan" namespace behind a veth pair
 * that stands in for the world outside. No packet leaves them.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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
} from "../harness.test-support.ts";
import { VLAN_REFUSAL } from "./network-manager.ts";
import { deleteAllTestNetns, inNetns, makeNetns, vethBetween } from "./test-netns.test-support.ts";

let host: TestHost | undefined;
let images: ImageManifest;
let hostNs: string;
let lanNs: string;

const NAT = { id: "natnet", kind: "nat" as const, bridge: "ghbrnattest", subnet: "10.200.0.0/24" };
const ISO = { id: "isonet", kind: "isolated" as const, bridge: "ghbrisotest", subnet: "10.201.0.0/24" };
const LAN_PEER = "10.99.0.2";
const HOST_UPLINK = "10.99.0.1";

before(async () => {
  images = await testImages();
  hostNs = makeNetns("host");
  lanNs = makeNetns("lan");
  vethBetween({ ns: hostNs, ifname: "uplink0", cidr: `${HOST_UPLINK}/24` }, { ns: lanNs, ifname: "lan0", cidr: `${LAN_PEER}/24` });
  host = await openHost(await tempDataDir(), { netns: hostNs });
});
after(async () => {
  try {
    if (host) await destroyHost(host);
  } finally {
    deleteAllTestNetns();
  }
});

const nic = (network: string, slot = 0): VmNic => ({
  slot,
  mac: randomMac(randomBytes(5)),
  model: "virtio-net-pci",
  attach: { kind: "network", network },
  linkUp: true,
});

async function bootOn(id: string, n: VmNic): Promise<string> {
  const h = host as TestHost;
  await h.api.vm.define({ id, spec: tinySpec(images, id, { nics: [n] }) });
  await h.api.vm.start({ id });
  const text = await waitSerial(h.service, id, /gh-net: eth0 (\d+\.\d+\.\d+\.\d+)\r?\n/, { timeoutMs: 90_000 });
  await waitSerial(h.service, id, PROMPT);
  return (/gh-net: eth0 (\d+\.\d+\.\d+\.\d+)\r?\n/.exec(text) as RegExpExecArray)[1] as string;
}

// Two tries each: under TCG the first packet can be lost while the bridge learns where a MAC is.
const pingOk = (id: string, ip: string) => serialRun((host as TestHost).service, id, `ping -c 2 -W 5 ${ip}`, /(\d) packets received/);
const received = (out: string) => Number((/(\d) packets received/.exec(out) as RegExpExecArray)[1]);

test("guests on nat and isolated networks: DHCP, each other, the outside, a port forward and link down", { timeout: 420_000 }, async () => {
  const h = host as TestHost;
  await h.api.network.ensure({ network: NAT });
  await h.api.network.ensure({ network: ISO });
  // Nothing of ours leaked into the machine's own namespace.
  assert.match(inNetns(hostNs, ["ip", "link", "show", NAT.bridge]), /state UP|UNKNOWN|DOWN/);
  assert.doesNotMatch(execFileSync("ip", ["link", "show"], { encoding: "utf8" }), /ghbr/);

  const nicA = nic("natnet");
  const nicB = nic("natnet");
  const nicC = nic("isonet");
  const [ipA, ipB, ipC] = await Promise.all([bootOn("a", nicA), bootOn("b", nicB), bootOn("c", nicC)]);
  assert.match(ipA, /^10\.200\.0\./);
  assert.match(ipB, /^10\.200\.0\./);
  assert.match(ipC, /^10\.201\.0\./);

  // The host reads the same addresses from dnsmasq's leases, by MAC: what the console shows.
  const addresses = await h.api.network.addresses();
  assert.equal(addresses[nicA.mac]?.ip, ipA);
  assert.equal(addresses[nicB.mac]?.ip, ipB);
  assert.equal(addresses[nicC.mac]?.network, "isonet");

  assert.ok(received(await pingOk("a", ipB)) >= 1, "a reaches b on the same nat network");
  assert.ok(received(await pingOk("b", "10.200.0.1")) >= 1, "b reaches its gateway");
  assert.ok(received(await pingOk("a", LAN_PEER)) >= 1, "a reaches the 'LAN' through masquerade");
  assert.equal(received(await pingOk("c", LAN_PEER)), 0, "the isolated guest does not reach outside");
  assert.equal(received(await pingOk("c", "10.201.0.1")), 0, "nor its gateway address");
  assert.equal(received(await pingOk("c", ipA)), 0, "nor a guest on another network");

  // A port forward from the host namespace's uplink address reaches a's web server, until removed.
  await h.api.network.addForward({ network: "natnet", forward: { protocol: "tcp", hostPort: 8080, guestMac: nicA.mac, guestPort: 80 } });
  const page = inNetns(lanNs, ["curl", "-s", "--max-time", "5", `http://${HOST_UPLINK}:8080/`]);
  assert.equal(page.trim(), "hello from a");
  await assert.rejects(
    h.api.network.addForward({ network: "natnet", forward: { protocol: "tcp", hostPort: 8080, guestMac: nicB.mac, guestPort: 80 } }),
    /hostPort: tcp port 8080 already forwards/,
  );
  await h.api.network.removeForward({ network: "natnet", protocol: "tcp", hostPort: 8080 });
  assert.throws(() => inNetns(lanNs, ["curl", "-s", "--max-time", "3", `http://${HOST_UPLINK}:8080/`]));

  // Link down (QMP set_link) stops traffic; up brings it back.
  await h.api.vm.setLink({ id: "a", slot: 0, up: false });
  assert.equal(received(await pingOk("b", ipA)), 0, "b cannot reach a with a's link down");
  await h.api.vm.setLink({ id: "a", slot: 0, up: true });
  assert.ok(received(await pingOk("b", ipA)) >= 1, "and can once it is up again");

  // A service restart rebuilds its networks idempotently: the running guests stay connected, their MACs unchanged.
  await h.detach();
  host = await openHost(h.dataDir, { netns: hostNs });
  const again = host;
  assert.ok(received(await pingOk("b", ipA)) >= 1, "b still reaches a after the host service restarted");
  assert.equal((await again.api.vm.get({ id: "a" })).spec.nics[0]?.mac, nicA.mac);
  assert.equal((await again.api.network.addresses())[nicB.mac]?.ip, ipB, "dnsmasq kept its leases");

  // Deleting a network a running guest uses is refused, with the guest named.
  await assert.rejects(again.api.network.remove({ id: "isonet" }), /in use by running VM\(s\): c/);
});

test("bad input changes nothing: overlapping subnet, a bridge that is not ours, a VLAN tag here", async () => {
  const h = host as TestHost;
  await assert.rejects(
    h.api.network.ensure({ network: { id: "clash", kind: "nat", bridge: "ghbrclash", subnet: "10.200.0.128/25" } }),
    /subnet: 10\.200\.0\.128\/25 overlaps network 'natnet'/,
  );
  await assert.rejects(
    h.api.network.ensure({ network: { id: "onuplink", kind: "nat", bridge: "ghbrup", subnet: "10.99.0.0/24" } }),
    /overlaps 10\.99\.0\.1\/24 on the host's interface 'uplink0'/,
  );
  inNetns(hostNs, ["ip", "link", "add", "ghforeign", "type", "bridge"]);
  await assert.rejects(
    h.api.network.ensure({ network: { id: "foreign", kind: "isolated", bridge: "ghforeign" } }),
    /interface 'ghforeign' exists and is not Guesthouse's/,
  );
  // A bridged network over a bridge the test made (standing in for br0 on the LAN NIC).
  inNetns(hostNs, ["ip", "link", "add", "br0", "type", "bridge"]);
  await h.api.network.ensure({ network: { id: "lan", kind: "bridged", bridge: "br0" } });
  const tagged: VmNic = { ...nic("lan"), attach: { kind: "network", network: "lan", vlan: 10 } };
  await assert.rejects(h.api.vm.define({ id: "tagged", spec: tinySpec(images, "tagged", { nics: [tagged] }) }), (err: Error) => {
    assert.ok(err.message.includes(VLAN_REFUSAL), err.message);
    return true;
  });
  const list = await h.api.network.list();
  assert.deepEqual(list.map((n) => n.network.id).sort(), ["isonet", "lan", "natnet"]);
  // The foreign bridge is still there, untouched.
  assert.match(inNetns(hostNs, ["ip", "link", "show", "ghforeign"]), /ghforeign/);
});
