import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { parseDepends } from "./apt.ts";
import { cpioNewc } from "./cpio.ts";
import { modinfoDepends } from "./kmod.ts";

test("parseDepends finds the versioned kernel behind the meta package", () => {
  const out = "linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n  Recommends: firmware\n";
  assert.equal(parseDepends(out, "linux-image-"), "linux-image-6.1.0-56-amd64");
  assert.equal(parseDepends("foo\n  Depends: <linux-image-6.12.1-amd64>\n", "linux-image-"), "linux-image-6.12.1-amd64");
  assert.equal(parseDepends("foo\n  Depends: libc6\n", "linux-image-"), null);
});

test("modinfoDepends reads the depends= string of a module", () => {
  const obj = Buffer.from("\x7fELF\0junk\0license=GPL\0depends=virtio_ring,virtio-pci\0vermagic=6.1\0");
  assert.deepEqual(modinfoDepends(obj), ["virtio_ring", "virtio_pci"]);
  assert.deepEqual(modinfoDepends(Buffer.from("\0depends=\0name=x\0")), []);
  assert.deepEqual(modinfoDepends(Buffer.from("no modinfo")), []);
});

// GNU cpio is a test dependency (npm test and .ci/run install it): never skipped for want of it.
test("cpioNewc output is read back by GNU cpio", () => {
  assert.equal(spawnSync("cpio", ["--version"]).status, 0, "GNU cpio is installed (apt-get install cpio)");
  const archive = cpioNewc([
    { kind: "dir", path: "etc" },
    { kind: "file", path: "etc/hello", data: Buffer.from("hi\n"), mode: 0o600 },
    { kind: "symlink", path: "sh", target: "/bin/busybox" },
    { kind: "chardev", path: "console", major: 5, minor: 1 },
  ]);
  assert.equal(archive.length % 4, 0);
  const listing = spawnSync("cpio", ["-itv", "--quiet"], { input: archive, encoding: "utf8" });
  assert.equal(listing.status, 0, listing.stderr);
  const lines = listing.stdout.trim().split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[0] ?? "", /^drwxr-xr-x .* etc$/);
  assert.match(lines[1] ?? "", /^-rw------- .* 3 .* etc\/hello$/);
  assert.match(lines[2] ?? "", /^lrwxrwxrwx .* sh -> \/bin\/busybox$/);
  assert.match(lines[3] ?? "", /^crw------- .* 5, +1 .* console$/);
});

test("cpioNewc refuses absolute paths", () => {
  assert.throws(() => cpioNewc([{ kind: "dir", path: "/etc" }]), /relative/);
});
