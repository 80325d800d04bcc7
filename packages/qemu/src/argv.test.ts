import assert from "node:assert/strict";
import { test } from "node:test";
import { VmSpecSchema } from "@guesthouse/shared/vm";
import { ArgvError, buildArgv, type ArgvInput } from "./argv.ts";
import { SocketPathTooLongError } from "./socket-path.ts";

const base = (over: Partial<ArgvInput> = {}, spec: Record<string, unknown> = {}): ArgvInput => ({
  id: "web1",
  spec: VmSpecSchema.parse({ name: "web1", ...spec }),
  stateDir: "/srv/gh/host/vms/web1",
  diskPaths: [],
  accel: "tcg",
  cpu: "qemu64,enforce",
  ...over,
});

/** The value after each occurrence of `flag`. */
const values = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1] as string] : []));

test("the basics: sandbox, no display, unix sockets only, pidfile, name", () => {
  const argv = buildArgv(base());
  assert.deepEqual(values(argv, "-sandbox"), ["on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"]);
  assert.deepEqual(values(argv, "-display"), ["none"]);
  assert.ok(argv.includes("-nodefaults"));
  assert.deepEqual(values(argv, "-vnc"), ["unix:/srv/gh/host/vms/web1/vnc.sock"]);
  assert.deepEqual(values(argv, "-qmp"), ["unix:/srv/gh/host/vms/web1/qmp.sock,server=on,wait=off"]);
  assert.deepEqual(values(argv, "-chardev"), ["socket,id=ser0,path=/srv/gh/host/vms/web1/serial.sock,server=on,wait=off"]);
  assert.deepEqual(values(argv, "-serial"), ["chardev:ser0"]);
  assert.deepEqual(values(argv, "-pidfile"), ["/srv/gh/host/vms/web1/qemu.pid"]);
  assert.deepEqual(values(argv, "-name"), ["guest=web1,process=gh-web1"]);
  assert.deepEqual(values(argv, "-nic"), ["none"]);
  assert.ok(!argv.some((a) => /tcp:|:59\d\d|websocket/.test(a)), "nothing listens on TCP");
});

test("accelerator: TCG with a translation cache size, or KVM; the probed -cpu value either way", () => {
  const tcg = buildArgv(base({ tcgTbSizeMiB: 32 }));
  assert.deepEqual(values(tcg, "-accel"), ["tcg,tb-size=32"]);
  assert.deepEqual(values(tcg, "-cpu"), ["qemu64,enforce"]);
  const kvm = buildArgv(base({ accel: "kvm", cpu: "host,-arch-capabilities" }));
  assert.deepEqual(values(kvm, "-accel"), ["kvm"]);
  assert.deepEqual(values(kvm, "-cpu"), ["host,-arch-capabilities"]);
});

test("modern profile: q35, virtio disks through -blockdev node names, std VGA, virtio-net", () => {
  const argv = buildArgv(
    base(
      { diskPaths: ["/d/a.qcow2", "/d/b.qcow2"] },
      {
        cpus: 2,
        memoryMiB: 512,
        disks: [{ disk: "a" }, { disk: "b", readOnly: true }],
        network: "user",
        boot: ["cdrom", "disk"],
      },
    ),
  );
  assert.deepEqual(values(argv, "-machine"), ["q35"]);
  assert.deepEqual(values(argv, "-smp"), ["2"]);
  assert.deepEqual(values(argv, "-m"), ["512"]);
  const blockdevs = values(argv, "-blockdev").map((b) => JSON.parse(b));
  assert.deepEqual(blockdevs.slice(0, 2), [
    { driver: "file", filename: "/d/a.qcow2", "node-name": "f0", "read-only": false },
    { driver: "qcow2", file: "f0", "node-name": "disk0", "read-only": false, discard: "unmap" },
  ]);
  assert.equal(blockdevs[3]["read-only"], true);
  const devices = values(argv, "-device");
  assert.ok(devices.includes("VGA"));
  // boot order: the empty CD-ROM drive first, then the first disk
  assert.ok(devices.includes("ide-cd,id=cdrom0,bus=ide.0,bootindex=1"));
  assert.ok(devices.includes("virtio-blk-pci,drive=disk0,id=disk0,bootindex=2"));
  assert.ok(devices.includes("virtio-blk-pci,drive=disk1,id=disk1"));
  assert.ok(devices.includes("virtio-net-pci,netdev=net0,id=nic0"));
  assert.deepEqual(values(argv, "-netdev"), ["user,id=net0"]);
  assert.ok(!argv.includes("-nic"));
});

test("legacy profile: i440fx, IDE disks, cirrus VGA, rtl8139", () => {
  const argv = buildArgv(
    base({ diskPaths: ["/d/c.qcow2"] }, { profile: "legacy", disks: [{ disk: "c" }], cdrom: { iso: "/iso/nt4.iso" }, network: "user" }),
  );
  assert.deepEqual(values(argv, "-machine"), ["pc"]);
  const devices = values(argv, "-device");
  assert.ok(devices.includes("cirrus-vga"));
  assert.ok(devices.includes("ide-hd,drive=disk0,id=disk0,bus=ide.0,unit=0,bootindex=1"));
  assert.ok(devices.includes("ide-cd,id=cdrom0,bus=ide.1,unit=0,drive=cdrom-media,bootindex=2"));
  assert.ok(devices.some((d) => d.startsWith("rtl8139,netdev=net0")));
  const iso = values(argv, "-blockdev")
    .map((b) => JSON.parse(b))
    .find((b) => b.filename === "/iso/nt4.iso");
  assert.equal(iso["read-only"], true);
});

test("legacy profile holds four IDE disks without a CD-ROM drive, three with one", () => {
  const disks = ["a", "b", "c", "d"].map((disk) => ({ disk }));
  const paths = disks.map((d) => `/d/${d.disk}.qcow2`);
  const argv = buildArgv(base({ diskPaths: paths }, { profile: "legacy", disks, cdrom: null }));
  assert.ok(values(argv, "-device").includes("ide-hd,drive=disk3,id=disk3,bus=ide.1,unit=1"));
  assert.throws(
    () => buildArgv(base({ diskPaths: paths }, { profile: "legacy", disks, cdrom: {} })),
    (err: Error) => err instanceof ArgvError && /at most 3 disks with a CD-ROM drive/.test(err.message),
  );
});

test("direct kernel boot, start paused, incoming migration", () => {
  const argv = buildArgv(
    base(
      { startPaused: true, incoming: "defer" },
      { kernel: { kernel: "/k/vmlinuz", initrd: "/k/initrd", cmdline: "console=ttyS0 a=b,c" } },
    ),
  );
  assert.deepEqual(values(argv, "-kernel"), ["/k/vmlinuz"]);
  assert.deepEqual(values(argv, "-initrd"), ["/k/initrd"]);
  assert.deepEqual(values(argv, "-append"), ["console=ttyS0 a=b,c"]);
  assert.ok(argv.includes("-S"));
  assert.deepEqual(values(argv, "-incoming"), ["defer"]);
});

test("no CD-ROM drive at all when cdrom is null", () => {
  assert.ok(!values(buildArgv(base({}, { cdrom: null })), "-device").some((d) => d.startsWith("ide-cd")));
});

test("socket paths longer than sun_path allows fail clearly", () => {
  const stateDir = `/${"x".repeat(100)}`;
  assert.throws(
    () => buildArgv(base({ stateDir })),
    (err: Error) => err instanceof SocketPathTooLongError && /at most 107/.test(err.message),
  );
});

test("disk paths must match the spec and must not carry QEMU option separators", () => {
  assert.throws(() => buildArgv(base({ diskPaths: [] }, { disks: [{ disk: "a" }] })), /expected 1 disk paths/);
  assert.throws(() => buildArgv(base({ stateDir: "/a,b" })), /must not contain ','/);
});

test("argv is an array of plain strings; the display name never reaches it", () => {
  assert.throws(() => VmSpecSchema.parse({ name: "evil $(rm -rf /)" }), /letters, digits/);
  const argv = buildArgv(base({}, { name: "Web Server 1" }));
  assert.ok(argv.every((a) => typeof a === "string"));
  assert.ok(!argv.some((a) => a.includes("Web Server")));
});

test("clipboard: a virtio-serial controller and the vdagent port, left out when a saved state is to be loaded", () => {
  const port = "virtserialport,bus=vser0.0,chardev=vdagent0,name=com.redhat.spice.0,id=vdport0";
  const vdagent = "qemu-vdagent,id=vdagent0,name=vdagent,clipboard=on,mouse=off";
  const on = buildArgv(base({}, { clipboard: true }));
  assert.ok(values(on, "-device").includes("virtio-serial-pci,id=vser0"));
  assert.ok(values(on, "-device").includes(port));
  assert.ok(values(on, "-chardev").includes(vdagent));
  for (const argv of [
    buildArgv(base({ incoming: "defer" }, { clipboard: true })),
    buildArgv(base({ clipboardPlugged: false }, { clipboard: true })),
  ]) {
    assert.ok(values(argv, "-device").includes("virtio-serial-pci,id=vser0"), "the controller stays: the saved state has it");
    assert.ok(!values(argv, "-device").includes(port));
    assert.ok(!values(argv, "-chardev").includes(vdagent));
  }
  const off = buildArgv(base());
  assert.ok(!off.some((a) => a.includes("vdagent") || a.includes("virtio-serial")), "no clipboard unless asked for");
});

test("NICs: a tap the host made (no scripts) or user-mode NAT, each with its MAC; models follow the profile", () => {
  const nics = [
    { slot: 1, mac: "5e:00:00:00:00:02", model: "virtio-net-pci", attach: { kind: "user" } },
    { slot: 0, mac: "5e:00:00:00:00:01", model: "virtio-net-pci", attach: { kind: "network", network: "lan" } },
  ];
  const argv = buildArgv(base({ taps: { 0: "ghtabc0" } }, { nics, boot: ["network", "disk"] }));
  assert.deepEqual(values(argv, "-netdev"), ["tap,id=net0,ifname=ghtabc0,script=no,downscript=no", "user,id=net1"]);
  assert.deepEqual(values(argv, "-device").slice(-2), [
    "virtio-net-pci,netdev=net0,id=nic0,mac=5e:00:00:00:00:01,bus=nicport0,bootindex=1",
    "virtio-net-pci,netdev=net1,id=nic1,mac=5e:00:00:00:00:02,bus=nicport1",
  ]);
  // Modern: one hot-pluggable root port per slot, whatever the NIC count, so a saved state's devices match.
  const ports = values(argv, "-device").filter((d) => d.startsWith("pcie-root-port"));
  assert.deepEqual(
    ports,
    Array.from({ length: 8 }, (_, i) => `pcie-root-port,id=nicport${i},chassis=${i + 1}`),
  );
  assert.deepEqual(
    values(buildArgv(base({}, { nics: [] })), "-device").filter((d) => d.startsWith("pcie-root-port")),
    ports,
  );
  assert.deepEqual(values(argv, "-nic"), []);
  assert.throws(
    () => buildArgv(base({}, { nics })),
    (e: Error) => e instanceof ArgvError && /no tap was made/.test(e.message),
  );
  const legacy = [{ slot: 0, mac: "5e:00:00:00:00:01", model: "virtio-net-pci", attach: { kind: "user" } }];
  assert.throws(
    () => buildArgv(base({}, { profile: "legacy", nics: legacy })),
    (e: Error) => e instanceof ArgvError && /legacy profile offers rtl8139 or e1000, not virtio-net-pci/.test(e.message),
  );
  const e1000 = buildArgv(base({}, { profile: "legacy", nics: [{ ...legacy[0], model: "e1000" }] }));
  assert.equal(values(e1000, "-device").at(-1), "e1000,netdev=net0,id=nic0,mac=5e:00:00:00:00:01");
  assert.ok(!e1000.some((a) => a.startsWith("pcie-root-port")), "i440fx has no PCIe root ports");
});
