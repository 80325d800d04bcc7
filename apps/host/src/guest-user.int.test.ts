// QEMU runs as its own unprivileged user (ADR 0025): a running guest's process has that uid, its
// groups and no capabilities, under QEMU's sandbox; its state folder and the disk it writes are
// that user's and private; a linked clone's base disk is shared read-only (root's, group
// guesthouse-qemu, 0440); and the guest still boots and answers on serial. When the service is
// not root, QEMU runs as the service's user and host info says why. A /dev/net/tun left 0600 (no
// udev) is opened up for QEMU's user, or no VM with a NIC could start.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { GUEST_USER_NAME, TUN_DEVICE, tunForGuests } from "./guest-user.ts";
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

let host: TestHost;
const asRoot = process.getuid?.() === 0;

before(async () => {
  const images = await testImages();
  host = await openHost(await tempDataDir());
  await host.api.disk.create({ id: "lpbase", sizeBytes: 16 * 1024 * 1024 });
  await host.api.disk.clone({ id: "lpdisk", from: "lpbase" });
  await host.api.vm.define({ id: "least1", spec: tinySpec(images, "least1", { disks: [{ disk: "lpdisk" }] }) });
});
after(async () => destroyHost(host));

/** `Uid:`, `Groups:` … of /proc/PID/status. */
async function procStatus(pid: number): Promise<Record<string, string>> {
  const text = await readFile(`/proc/${pid}/status`, "utf8");
  return Object.fromEntries(text.split("\n").map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]));
}

async function groupId(name: string): Promise<number | undefined> {
  const line = (await readFile("/etc/group", "utf8")).split("\n").find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(":")[2]) : undefined;
}

test("the guest boots and answers on serial, and its QEMU runs as the user host info names", async () => {
  const started = await host.api.vm.start({ id: "least1" });
  assert.ok(started.pid && started.pid > 0);
  await waitSerial(host.service, "least1", PROMPT);
  assert.match(await serialRun(host.service, "least1", "echo $((6*7))", /\n42\r?\n/), /\n42\r?\n/);

  const info = await host.api.host.info();
  const status = await procStatus(started.pid);
  const [real, effective, saved, fs] = status.Uid!.split(/\s+/).map(Number);
  assert.deepEqual([real, effective, saved, fs], Array(4).fill(info.qemuUser.uid), `QEMU's uids: ${status.Uid}`);
  assert.equal(info.qemuUser.dedicated, asRoot, info.qemuUser.summary);
  if (!asRoot) {
    assert.equal(info.qemuUser.uid, process.getuid?.());
    assert.match(info.qemuUser.summary, /not root/);
    return;
  }
  assert.equal(info.qemuUser.name, GUEST_USER_NAME);
  assert.notEqual(info.qemuUser.uid, 0);
  const groups = status.Groups!.split(/\s+/).map(Number);
  const kvm = await groupId("kvm");
  if (kvm !== undefined) assert.ok(groups.includes(kvm), `the kvm group is among QEMU's groups (${status.Groups})`);
  assert.ok(!groups.includes(0), "not in root's group");
  assert.equal(status.CapEff, "0000000000000000", "no effective capabilities");
  assert.equal(status.CapPrm, "0000000000000000", "no permitted capabilities");
  // -sandbox on,elevateprivileges=deny,spawn=deny,resourcecontrol=deny is still in force.
  assert.equal(status.Seccomp, "2", "QEMU's seccomp sandbox is on");
  assert.equal(status.NoNewPrivs, "1");
  const cmdline = (await readFile(`/proc/${started.pid}/cmdline`, "utf8")).split("\0");
  const sandbox = cmdline[cmdline.indexOf("-sandbox") + 1] ?? "";
  for (const rule of ["elevateprivileges=deny", "spawn=deny", "resourcecontrol=deny"])
    assert.ok(sandbox.includes(rule), `${rule} in ${sandbox}`);
  assert.ok(!cmdline.includes("-runas"));
});

test("its state folder and its disk are the QEMU user's and private; the clone's base is shared read-only", async () => {
  if (!asRoot) return;
  const { uid } = (await host.api.host.info()).qemuUser;
  const folder = await stat(host.service.paths.vmDir("least1"));
  assert.equal(folder.uid, uid);
  assert.equal(folder.mode & 0o777, 0o700, "state folder 0700");
  const disk = await stat(host.service.paths.diskPath("lpdisk"));
  assert.equal(disk.uid, uid);
  assert.equal(disk.mode & 0o777, 0o600, "the disk it writes is 0600");
  const base = await stat(host.service.paths.diskPath("lpbase"));
  assert.equal(base.uid, 0, "root owns the shared base");
  assert.equal(base.gid, (await stat(host.service.paths.vmDir("least1"))).gid, "group: the QEMU user's own");
  assert.equal(base.mode & 0o777, 0o440, "readable to QEMU's group only, writable by nobody");
  // The sockets QEMU made as its user stay reachable by the service (root): it is talking over QMP now.
  const live = await host.api.vm.get({ id: "least1" });
  assert.equal(live.state, "running");
});

test("a tun device QEMU's own user cannot open (a machine without udev) is given udev's 0666; one already so is left alone", async () => {
  const user = (await host.api.host.info()).qemuUser;
  const dedicated = { name: user.name, uid: user.uid, gid: user.uid, dedicated: user.dedicated, summary: user.summary };
  if (!asRoot) {
    assert.equal(await tunForGuests(dedicated), undefined, "QEMU runs as ourselves: nothing to open up");
    return;
  }
  // The kernel's own device node, as devtmpfs makes it with no udev: 0600 root.
  const dir = await mkdtemp(join(tmpdir(), "gh-tun-"));
  const device = join(dir, "tun");
  await promisify(execFile)("mknod", ["-m", "0600", device, "c", "10", "200"]);
  try {
    assert.match((await tunForGuests(dedicated, device)) ?? "", /was 600, which 'guesthouse-qemu' cannot open; made it 0666/);
    assert.equal((await stat(device)).mode & 0o777, 0o666);
    assert.equal(await tunForGuests(dedicated, device), undefined, "already open to QEMU: left alone");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // And the machine's own, after the service opened: QEMU's user can open it.
  assert.equal((await stat(TUN_DEVICE)).mode & 0o006, 0o006);
});
