import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cidrsOverlap,
  CidrSchema,
  HostNetworkSchema,
  MacSchema,
  NicListSchema,
  parseCidr,
  randomMac,
  servedSubnet,
  subnetPlan,
} from "./network.ts";

test("subnets: host bits must be zero, prefixes 16–29, overlap by the shorter prefix", () => {
  assert.deepEqual(parseCidr("10.77.0.0/24"), { base: (10 << 24) + (77 << 16), prefix: 24 });
  for (const bad of ["10.77.0.1/24", "10.77.0.0/30", "10.77.0.0/8", "10.77.0/24", "10.256.0.0/24", "010.1.0.0/24", "x/24"]) {
    assert.equal(parseCidr(bad), undefined, bad);
    assert.equal(CidrSchema.safeParse(bad).success, false, bad);
  }
  const a = parseCidr("10.77.0.0/16")!;
  assert.ok(cidrsOverlap(a, parseCidr("10.77.9.0/24")!));
  assert.ok(!cidrsOverlap(parseCidr("10.77.0.0/24")!, parseCidr("10.77.1.0/24")!));
});

test("a subnet's plan: gateway first, DHCP up to the last-but-one address", () => {
  assert.deepEqual(subnetPlan("192.168.50.0/24"), {
    gateway: "192.168.50.1",
    dhcpStart: "192.168.50.2",
    dhcpEnd: "192.168.50.254",
    netmask: "255.255.255.0",
    prefix: 24,
  });
});

test("MACs are unicast and locally administered; a NIC list refuses 9 NICs and repeated MACs", () => {
  const mac = randomMac(new Uint8Array([1, 2, 3, 4, 255]));
  assert.equal(mac, "5e:01:02:03:04:ff");
  assert.ok(MacSchema.safeParse(mac).success);
  assert.equal(MacSchema.safeParse("5f:01:02:03:04:05").success, false, "multicast");
  const nic = (slot: number, mac: string) => ({ slot, mac, model: "virtio-net-pci", attach: { kind: "user" } });
  assert.equal(NicListSchema.safeParse(Array.from({ length: 9 }, (_, i) => nic(i % 8, `5e:00:00:00:00:0${i}`))).success, false);
  assert.equal(NicListSchema.safeParse([nic(0, mac), nic(1, mac)]).success, false);
  assert.equal(NicListSchema.safeParse([nic(0, mac), nic(1, "5e:00:00:00:00:01")]).success, true);
});

test("a stretched network: a segment needs its overlay, and a bad VNI or address is refused naming the field", () => {
  const overlay = { vni: 4242, local: "10.77.0.2", peers: ["10.77.0.1"] };
  assert.equal(HostNetworkSchema.safeParse({ id: "span", kind: "segment", bridge: "ghbrspan", overlay }).success, true);
  assert.equal(HostNetworkSchema.safeParse({ id: "span", kind: "segment", bridge: "ghbrspan" }).success, false);
  const bad = (o: object) => {
    const r = HostNetworkSchema.safeParse({
      id: "span",
      kind: "nat",
      bridge: "ghbrspan",
      subnet: "10.202.0.0/24",
      overlay: { ...overlay, ...o },
    });
    return r.success ? "" : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  };
  assert.match(bad({ vni: 0 }), /overlay\.vni: vni must be 1–16777215/);
  assert.match(bad({ vni: 16_777_216 }), /overlay\.vni: vni must be 1–16777215/);
  assert.match(bad({ local: "host-a" }), /overlay\.local: local: an IPv4 or IPv6 address/);
  assert.match(bad({ peers: ["10.77.0.300"] }), /overlay\.peers\.0: peers: IPv4 or IPv6 addresses/);
  assert.equal(servedSubnet({ id: "span", kind: "segment", bridge: "ghbrspan", overlay }), undefined);
  assert.equal(servedSubnet({ id: "span", kind: "nat", bridge: "ghbrspan", subnet: "10.202.0.0/24" }), "10.202.0.0/24");
});
