/**
 * The guest clipboard: QEMU's `qemu-vdagent` chardev (clipboard=on) on the `com.redhat.spice.0`
 * virtserialport, which joins the guest's agent to the VNC clients' extended clipboard.
 *
 * QEMU 7.2 refuses every migration (a saved state, a RAM snapshot, a RAM template) while the
 * vdagent chardev exists ("The vdagent chardev doesn't yet support migration"), and a state saved
 * without the port loads only into a QEMU without it (virtio-serial compares its ports). So the
 * port and chardev are unplugged before those and plugged back after; a QEMU that is to load a
 * state starts without them (docs/machine-facts.md).
 */
import type { QmpClient } from "./qmp.ts";

export const CLIPBOARD_BUS = "vser0";
export const CLIPBOARD_CHARDEV = "vdagent0";
export const CLIPBOARD_PORT = "vdport0";
export const CLIPBOARD_PORT_NAME = "com.redhat.spice.0";
const UNPLUG_TIMEOUT_MS = 10_000;

/** argv for the clipboard: the virtio-serial controller always, the port only when `plugged`. */
export function clipboardArgv(plugged: boolean): string[] {
  const argv = ["-device", `virtio-serial-pci,id=${CLIPBOARD_BUS}`];
  if (plugged) argv.push("-chardev", `qemu-vdagent,id=${CLIPBOARD_CHARDEV},name=vdagent,clipboard=on,mouse=off`, "-device", portDevice());
  return argv;
}

function portDevice(): string {
  return `virtserialport,bus=${CLIPBOARD_BUS}.0,chardev=${CLIPBOARD_CHARDEV},name=${CLIPBOARD_PORT_NAME},id=${CLIPBOARD_PORT}`;
}

async function portPlugged(qmp: QmpClient): Promise<boolean> {
  const children = await qmp.execute<{ name: string }[]>("qom-list", { path: "/machine/peripheral" });
  return children.some((c) => c.name === CLIPBOARD_PORT);
}

async function chardevPresent(qmp: QmpClient): Promise<boolean> {
  const chardevs = await qmp.execute<{ label: string }[]>("query-chardev");
  return chardevs.some((c) => c.label === CLIPBOARD_CHARDEV);
}

/** Removes the port (waiting until QEMU has deleted it) and then its chardev; nothing if already gone. */
export async function unplugClipboard(qmp: QmpClient): Promise<void> {
  if (await portPlugged(qmp)) {
    const deleted = qmp.waitEvent("DEVICE_DELETED", { timeoutMs: UNPLUG_TIMEOUT_MS, match: (e) => e.data.device === CLIPBOARD_PORT });
    deleted.catch(() => undefined);
    await qmp.execute("device_del", { id: CLIPBOARD_PORT });
    await deleted;
  }
  if (await chardevPresent(qmp)) await qmp.execute("chardev-remove", { id: CLIPBOARD_CHARDEV });
}

/** Adds the chardev and the port back; nothing for what is already there. */
export async function plugClipboard(qmp: QmpClient): Promise<void> {
  if (!(await chardevPresent(qmp))) {
    await qmp.execute("chardev-add", {
      id: CLIPBOARD_CHARDEV,
      backend: { type: "qemu-vdagent", data: { clipboard: true, mouse: false } },
    });
  }
  if (!(await portPlugged(qmp))) {
    await qmp.execute("device_add", {
      driver: "virtserialport",
      bus: `${CLIPBOARD_BUS}.0`,
      chardev: CLIPBOARD_CHARDEV,
      name: CLIPBOARD_PORT_NAME,
      id: CLIPBOARD_PORT,
    });
  }
}

/** Runs `fn` (a migration of some kind) with the clipboard unplugged when `enabled`, and plugs it back after, whatever happened. */
export async function withClipboardUnplugged<T>(qmp: QmpClient, enabled: boolean, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  await unplugClipboard(qmp);
  try {
    return await fn();
  } finally {
    // A QEMU that has already quit (a completed save) has nothing to plug back into.
    if (!qmp.closed) await plugClipboard(qmp).catch(() => undefined);
  }
}
