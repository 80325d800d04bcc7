import assert from "node:assert/strict";
import { test } from "node:test";
import { cleanQemuOutput } from "./qemu-messages.ts";

test("QEMU's abort under KVM reads as words, without timestamp, program name or source path", () => {
  const stderr =
    "2026-12-01T09:30:23.705953Z qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n" +
    "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.\n";
  assert.equal(
    cleanQemuOutput(stderr),
    "failed to set MSR 0x10a to 0x69; kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.",
  );
});

test("QMP lines on stdio and blank lines are left out; only the last lines are kept", () => {
  const text = '{"QMP": {}}\n\nqemu-system-x86_64: a\n/usr/bin/qemu-system-x86_64: b\nc\nd\ne\n';
  assert.equal(cleanQemuOutput(text, 3), "c; d; e");
  assert.equal(cleanQemuOutput(text, 5), "a; b; c; d; e");
});

test("a drive QEMU cannot open is named as the VM's settings number it, not by QEMU's option", () => {
  const line =
    'qemu-system-x86_64: -blockdev {"driver":"qcow2","file":"f0","node-name":"disk0","read-only":false}: Image is not in qcow2 format';
  assert.equal(cleanQemuOutput(line), "disk 1: Image is not in qcow2 format");
  assert.equal(cleanQemuOutput('-blockdev {"driver":"raw","node-name":"cdrom-media"}: Could not open'), "the CD-ROM: Could not open");
});
