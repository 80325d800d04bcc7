/**
 * A nat network stretched over VXLAN to a second host (each host in its own namespace, joined by
 * the veth the two-host harness makes and always deletes): a real tiny guest leased on the home
 * host moves live to the other one and keeps its address, its DHCP server and an open TCP
 * connection. The test plays the console's part: it sends each host its side of the overlay.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import type { ImageManifest } from "@guesthouse/images";
import { randomMac, type VmNic } from "@guesthouse/shared/network";
import { PROMPT, serialRun, testImages, tinySpec, waitSerial } from "../harness.test-support.ts";
import { moveLive, openTwoHosts, SOURCE_ADDR, TARGET_ADDR, type TwoHosts } from "../migration/two-hosts.test-support.ts";
import { vxlanNameFor } from "./names.ts";
import { inNetns } from "./test-netns.test-support.ts";

let hosts: TwoHosts;
let images: ImageManifest;
let client: ChildProcess | undefined;
const MiB = 1024 * 1024;

const SPAN = { id: "span", bridge: "ghbrspantest", subnet: "10.202.0.0/24" };
const GATEWAY = "10.202.0.1";
const VNI = 4242;

before(async () => {
  images = await testImages();
  hosts = await openTwoHosts();
});
after(async () => {
  client?.kill("SIGKILL");
  await hosts.close();
});

/** One TCP connection from the home host's namespace to the guest, sending `tick N` every 100 ms. */
function ticker(ns: string, ip: string, port: number) {
  const script = `
    const c = require("node:net").connect(${port}, "${ip}", () => {
      console.log("connected");
      let n = 0;
      setInterval(() => { n++; c.write("tick " + n + "\\n"); console.log("sent " + n); }, 100);
    });
    c.on("error", (e) => { console.log("closed " + e.message); process.exit(1); });
    c.on("close", () => { console.log("closed"); process.exit(1); });`;
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const state = { connected: false, sent: 0, closed: "" };
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    for (const line of text.split("\n")) {
      if (line === "connected") state.connected = true;
      else if (line.startsWith("sent ")) state.sent = Number(line.slice(5));
      else if (line.startsWith("closed")) state.closed = line;
    }
  });
  return { child, state };
}

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(
  "a guest on a network stretched over VXLAN moves live and keeps its address, its DHCP server and an open TCP connection",
  { timeout: 420_000 },
  async () => {
    const { source, target, sourceNs, targetNs } = hosts;
    await source.api.network.ensure({
      network: { ...SPAN, kind: "nat", overlay: { vni: VNI, local: SOURCE_ADDR, peers: [TARGET_ADDR] } },
    });
    await target.api.network.ensure({
      network: { id: SPAN.id, bridge: SPAN.bridge, kind: "segment", overlay: { vni: VNI, local: TARGET_ADDR, peers: [SOURCE_ADDR] } },
    });
    // The target's stretch is a bridge and a VXLAN towards the home host, and serves nothing itself.
    const vxlan = inNetns(targetNs, ["ip", "-d", "link", "show", vxlanNameFor(SPAN.id)]);
    assert.match(vxlan, new RegExp(`vxlan id ${VNI} local ${TARGET_ADDR.replaceAll(".", "\\.")}`));
    assert.match(vxlan, new RegExp(`master ${SPAN.bridge}`));
    assert.match(inNetns(targetNs, ["bridge", "fdb", "show", "dev", vxlanNameFor(SPAN.id)]), new RegExp(`dst ${SOURCE_ADDR}`));
    assert.equal((await target.api.network.list()).find((n) => n.network.id === SPAN.id)?.dnsmasqPid, undefined);
    assert.doesNotMatch(execFileSync("ip", ["link", "show"], { encoding: "utf8" }), /ghvx|ghbr/, "nothing in the machine's own namespace");

    const nic: VmNic = {
      slot: 0,
      mac: randomMac(randomBytes(5)),
      model: "virtio-net-pci",
      attach: { kind: "network", network: SPAN.id },
      linkUp: true,
    };
    await source.api.disk.create({ id: "roamer-d", sizeBytes: 64 * MiB });
    await source.api.vm.define({ id: "roamer", spec: tinySpec(images, "roamer", { disks: [{ disk: "roamer-d" }], nics: [nic] }) });
    await source.api.vm.start({ id: "roamer" });
    const booted = await waitSerial(source.service, "roamer", /gh-net: eth0 (\d+\.\d+\.\d+\.\d+)\r?\n/, { timeoutMs: 90_000 });
    const ip = (/gh-net: eth0 (\d+\.\d+\.\d+\.\d+)/.exec(booted) as RegExpExecArray)[1] as string;
    await waitSerial(source.service, "roamer", PROMPT);
    assert.ok(ip.startsWith("10.202.0."), `leased from the home host's dnsmasq: ${ip}`);

    await serialRun(source.service, "roamer", "nc -l -p 7100 > /tmp/ticks & echo listening", /\nlistening\r?\n/);
    const t = ticker(sourceNs, ip, 7100);
    client = t.child;
    await until("the connection to the guest", () => t.state.connected || t.state.closed !== "");
    assert.equal(t.state.closed, "", "the home namespace reached the guest's listener");
    await until("a few ticks before the move", () => t.state.sent >= 5);

    const { view } = await moveLive(source, target, "roamer", hosts.tls.toTarget, TARGET_ADDR);
    assert.equal(view.state, "running");
    const sentAtMove = t.state.sent;

    // The same connection goes on carrying ticks, now through the overlay, and the guest reads them.
    await until("ten ticks after the move", () => t.state.sent >= sentAtMove + 10 || t.state.closed !== "");
    assert.equal(t.state.closed, "", "the connection stayed open across the move");
    const last = await serialRun(target.service, "roamer", "echo last-$(tail -n 1 /tmp/ticks)", /\nlast-tick (\d+)\r?\n/);
    const lastTick = Number((/\nlast-tick (\d+)/.exec(last) as RegExpExecArray)[1]);
    assert.ok(lastTick > sentAtMove, `the guest, now on the target, read tick ${lastTick}, sent after the move (at ${sentAtMove})`);

    // Its DHCP server is still the home host's: a renewal from the target keeps the same address.
    await serialRun(target.service, "roamer", "kill -USR1 $(pidof udhcpc)", new RegExp(`gh-net: eth0 ${ip.replaceAll(".", "\\.")}\\r?\\n`));
    const leases = await source.api.network.leases({ id: SPAN.id });
    assert.equal(leases.find((l) => l.mac === nic.mac)?.ip, ip, "the home host's lease for the guest's MAC");
    // And it still reaches its gateway, on the home host, from the other host.
    await serialRun(target.service, "roamer", `ping -c 2 -W 5 ${GATEWAY}`, /[12] packets received/);
  },
);
