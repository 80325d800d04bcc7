/**
 * One viewer's connection to a guest's VNC server, made by us rather than accepted by QEMU.
 *
 * A connection QEMU accepts on its `-vnc unix:` socket gets the kernel's default send buffer
 * (`net.core.wmem_default`, 208 KiB on Debian), so a 1.2 MB full-screen update leaves QEMU in
 * six or more wake-ups, each waiting for the reader. Here the host makes a socket pair, sizes
 * the end QEMU writes to so that a whole update fits, and hands that end to QEMU with QMP's
 * `getfd` and `add_client`. ADR 0060.
 */
import { randomUUID } from "node:crypto";
import { closeDescriptor, socketPair } from "./descriptors.ts";
import type { QmpClient } from "./qmp.ts";

/**
 * Asked of the kernel for QEMU's end; it doubles it for bookkeeping, so 4 MiB of room: a whole
 * 1280x800 Raw update, and many screens' worth of the encodings noVNC prefers.
 */
export const VNC_SEND_BUFFER_BYTES = 2 * 1024 * 1024;

/** Returns our end of a new VNC connection to the guest behind `qmp`; the caller owns it. */
export async function addVncClient(qmp: QmpClient): Promise<number> {
  const [qemuEnd, ours] = socketPair(VNC_SEND_BUFFER_BYTES);
  const fdname = `vnc-${randomUUID()}`;
  try {
    try {
      await qmp.executeWithDescriptor("getfd", { fdname }, qemuEnd);
    } finally {
      closeDescriptor(qemuEnd); // QEMU holds its own copy now, or none
    }
    await qmp.execute("add_client", { protocol: "vnc", fdname, skipauth: false }).catch(async (error: unknown) => {
      await qmp.execute("closefd", { fdname }).catch(() => {});
      throw error;
    });
    return ours;
  } catch (error) {
    closeDescriptor(ours);
    throw error;
  }
}
