/**
 * A VM with the clipboard on (qemu-vdagent on com.redhat.spice.0) can still be saved and restored,
 * snapshotted with RAM and reverted, and captured as a RAM template and instantly cloned: QEMU 7.2
 * refuses each of those while the vdagent is attached, so the host unplugs it around them and
 * plugs it back after. Real QEMU, real tiny guest, whose own agent (packages/images/agent/ghclip.c)
 * speaks the clipboard to QEMU; the last test carries text both ways through it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CLIPBOARD_CHARDEV, CLIPBOARD_PORT } from "@guesthouse/qemu/clipboard-port";
import { openClipboardClient } from "@guesthouse/rfb/clipboard-client.test-support";
import { EXTENDED_CLIPBOARD, withholdFramingEncodings } from "@guesthouse/rfb/set-encodings";
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

const MiB = 1024 * 1024;
const VM = "clippy";
let host: TestHost;

before(async () => {
  const images = await testImages();
  host = await openHost(await tempDataDir());
  await host.api.disk.create({ id: "cdisk", sizeBytes: 64 * MiB });
  await host.api.vm.define({ id: VM, spec: tinySpec(images, VM, { clipboard: true, disks: [{ disk: "cdisk" }] }) });
  await host.api.vm.start({ id: VM });
  await waitSerial(host.service, VM, PROMPT);
});
after(() => destroyHost(host));

function qmpOf(id: string) {
  const instance = host.service.vms.get(id).instance;
  assert.ok(instance, `${id} has a QEMU`);
  return instance.qmp;
}

/** The clipboard is attached: the port and the vdagent chardev exist, and QEMU refuses to migrate. */
async function assertClipboardAttached(id: string): Promise<void> {
  const qmp = qmpOf(id);
  const peripherals = await qmp.execute<{ name: string }[]>("qom-list", { path: "/machine/peripheral" });
  assert.ok(
    peripherals.some((p) => p.name === CLIPBOARD_PORT),
    `${id}: the clipboard port is plugged`,
  );
  const chardevs = await qmp.execute<{ label: string }[]>("query-chardev");
  assert.ok(
    chardevs.some((c) => c.label === CLIPBOARD_CHARDEV),
    `${id}: the vdagent chardev is there`,
  );
  await assert.rejects(
    qmp.execute("migrate", { uri: "unix:/nonexistent/gh-clipboard-probe.sock" }),
    /vdagent chardev doesn't yet support migration/,
  );
}

let n = 0;
async function setX(id: string, value: string): Promise<void> {
  const m = `s${++n}`;
  await serialRun(host.service, id, `X=${value}; echo ${m}-ok`, new RegExp(`\\n${m}-ok\\r?\\n`));
}
async function expectX(id: string, value: string): Promise<void> {
  const m = `g${++n}`;
  await serialRun(host.service, id, `echo ${m}-$X`, new RegExp(`\\n${m}-${value}\\r?\\n`));
}

test("the clipboard is attached at start, and QEMU refuses to migrate while it is (the fact the rest works around)", async () => {
  await assertClipboardAttached(VM);
});

test("save and restore keep guest RAM with the clipboard on, and the clipboard comes back", async () => {
  await setX(VM, "saved-123");
  assert.equal((await host.api.vm.save({ id: VM })).state, "suspended");
  assert.equal((await host.api.vm.restore({ id: VM })).state, "running");
  await expectX(VM, "saved-123");
  await assertClipboardAttached(VM);
});

test("a RAM snapshot is taken and reverted to, live and from stopped, with the clipboard on", async () => {
  await setX(VM, "at-snap");
  const snap = await host.api.snapshot.take({ id: VM, name: "clip1" });
  assert.equal(snap.withRam, true);
  await assertClipboardAttached(VM);
  await setX(VM, "after-snap");
  await host.api.snapshot.revert({ id: VM, name: "clip1" });
  await expectX(VM, "at-snap");
  await assertClipboardAttached(VM);
  // From stopped: QEMU starts without the port to load the snapshot, then gets it.
  await host.api.vm.powerOff({ id: VM });
  await host.api.snapshot.revert({ id: VM, name: "clip1" });
  await expectX(VM, "at-snap");
  await assertClipboardAttached(VM);
});

/** What a viewer's SetEncodings asks for after the host's RFB filter, for its mode. */
function encodingsAfterFilter(mode: "view" | "control"): number[] {
  const asked = [0, EXTENDED_CLIPBOARD];
  const message = Buffer.alloc(4 + 4 * asked.length);
  message[0] = 2;
  message.writeUInt16BE(asked.length, 2);
  asked.forEach((e, i) => message.writeInt32BE(e, 4 + 4 * i));
  const out = Buffer.from(withholdFramingEncodings(message, mode));
  return Array.from({ length: out.readUInt16BE(2) }, (_, i) => out.readInt32BE(4 + 4 * i));
}

test(
  "through the guest's own agent: the guest's copy reaches a control viewer and never a view-only one; a viewer's copy reaches the guest",
  { timeout: 120_000 },
  async () => {
    const vnc = host.service.vms.get(VM).instance?.paths.vnc;
    assert.ok(vnc, "the VM has a VNC socket");
    const control = await openClipboardClient(vnc, { encodings: encodingsAfterFilter("control") });
    const view = await openClipboardClient(vnc, { encodings: encodingsAfterFilter("view") });
    try {
      // The agent (re)opens its port within a second of it coming back; copy until it answers.
      let text = "";
      for (let attempt = 1; attempt <= 10 && !text; attempt++) {
        await serialRun(
          host.service,
          VM,
          `echo guest-copy-${attempt} > /run/ghclip.copy; echo c${attempt}-ok`,
          new RegExp(`\\nc${attempt}-ok\\r?\\n`),
        );
        text = await control.nextText(2000).catch(() => "");
      }
      assert.match(text, /^guest-copy-\d+$/);
      assert.equal(view.received, 0, "the view-only connection got no clipboard message at all");

      control.copy("from-the-viewer-42");
      let pasted = false;
      for (let attempt = 1; attempt <= 30 && !pasted; attempt++) {
        const out = await serialRun(
          host.service,
          VM,
          `echo P${attempt}=$(cat /run/ghclip.paste 2>/dev/null)`,
          new RegExp(`\\nP${attempt}=.*\\r?\\n`),
        );
        pasted = out.includes(`P${attempt}=from-the-viewer-42`);
      }
      assert.ok(pasted, "the guest's agent has the viewer's text");
    } finally {
      control.close();
      view.close();
    }
  },
);

test(
  "a running VM with the clipboard on becomes a RAM template, and its instant clone runs with the clipboard",
  { timeout: 180_000 },
  async () => {
    await setX(VM, "in-template");
    await host.api.template.create({ id: "clip-tpl", fromVm: VM });
    await host.api.template.clone({ templateId: "clip-tpl", id: "clip-clone", name: "Clip clone", mode: "instant" });
    await expectX("clip-clone", "in-template");
    await assertClipboardAttached("clip-clone");
  },
);
