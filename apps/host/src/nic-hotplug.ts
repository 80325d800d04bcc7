/**
 * NICs plugged into and out of a running guest (docs/decisions/0057). The host converges the guest's
 * live NICs on a spec's list: it reads which NIC devices QEMU has (`qom-list /machine/peripheral`),
 * unplugs the ones the spec no longer has (device_del, waiting for DEVICE_DELETED, then netdev_del
 * and the tap), and plugs the missing ones (a tap of ours, netdev_add, device_add). Converging from
 * what QEMU holds, not from what the service last wrote, is what settles a change cut short.
 */
import { nicDeviceId, nicDeviceProps, nicNetdevId } from "@guesthouse/qemu/argv-nics";
import type { QmpClient } from "@guesthouse/qemu/qmp";
import type { VmNic } from "@guesthouse/shared/network";
import type { VmSpec } from "@guesthouse/shared/vm";
import { InvalidStateError } from "./errors.ts";
import { deleteLink } from "./net/links.ts";
import { tapNameFor } from "./net/names.ts";
import type { NetworkManager } from "./net/network-manager.ts";

/** A guest has this long to let go of a NIC (its kernel answers the ACPI or PCIe eject). */
export const UNPLUG_TIMEOUT_MS = 30_000;

/** True when `next` differs from `prev` in its NICs alone: the one change a running guest takes. */
export function onlyNicsDiffer(prev: VmSpec, next: VmSpec): boolean {
  const { nics: a, ...restPrev } = prev;
  const { nics: b, ...restNext } = next;
  return JSON.stringify(restPrev) === JSON.stringify(restNext) && JSON.stringify(a) !== JSON.stringify(b);
}

/** The NIC slots QEMU has a device for right now. */
export async function liveNicSlots(qmp: QmpClient): Promise<Set<number>> {
  const children = await qmp.execute<{ name: string }[]>("qom-list", { path: "/machine/peripheral" });
  const slots = new Set<number>();
  for (const c of children) {
    const m = /^nic(\d)$/.exec(c.name);
    if (m) slots.add(Number(m[1]));
  }
  return slots;
}

const same = (a: VmNic, b: VmNic) => JSON.stringify({ ...a, linkUp: true }) === JSON.stringify({ ...b, linkUp: true });

export interface HotplugDeps {
  vmId: string;
  profile: VmSpec["profile"];
  qmp: QmpClient;
  networks: NetworkManager;
  owner?: { uid: number; gid: number };
}

/** Makes the running guest's NICs `wanted`; `before` is the spec the service holds (its models and networks). */
export async function convergeNics(d: HotplugDeps, before: readonly VmNic[], wanted: readonly VmNic[]): Promise<void> {
  const live = await liveNicSlots(d.qmp);
  const want = new Map(wanted.map((n) => [n.slot, n]));
  for (const slot of live) {
    const had = before.find((n) => n.slot === slot);
    const next = want.get(slot);
    if (next && had && same(had, next)) continue;
    await unplugNic(d, slot);
    live.delete(slot);
  }
  await d.networks.checkNics(wanted.filter((n) => !live.has(n.slot)));
  for (const nic of wanted) {
    if (!live.has(nic.slot)) await plugNic(d, nic);
    await d.qmp.execute("set_link", { name: nicDeviceId(nic.slot), up: nic.linkUp !== false });
  }
  // A slot unplugged before a crash may still have its netdev and tap; neither is in use now.
  for (const slot of Array.from({ length: 8 }, (_, i) => i)) {
    if (!want.has(slot) && !live.has(slot)) await dropBackend(d, slot);
  }
}

async function plugNic(d: HotplugDeps, nic: VmNic): Promise<void> {
  await dropBackend(d, nic.slot); // a plug cut short may have left the netdev behind
  if (nic.attach.kind === "user") {
    await d.qmp.execute("netdev_add", { type: "user", id: nicNetdevId(nic.slot) });
  } else {
    const [tap] = Object.values(await d.networks.tapsFor(d.vmId, [nic], d.owner));
    await d.qmp.execute("netdev_add", { type: "tap", id: nicNetdevId(nic.slot), ifname: tap, script: "no", downscript: "no" });
  }
  try {
    await d.qmp.execute("device_add", nicDeviceProps(d.profile, nic));
  } catch (err) {
    await dropBackend(d, nic.slot);
    throw new InvalidStateError(`NIC ${nic.slot}: QEMU refused to plug it: ${(err as Error).message}`);
  }
}

async function unplugNic(d: HotplugDeps, slot: number): Promise<void> {
  const id = nicDeviceId(slot);
  const deleted = d.qmp.waitEvent("DEVICE_DELETED", {
    timeoutMs: UNPLUG_TIMEOUT_MS,
    match: (e) => (e.data as { device?: string } | undefined)?.device === id,
  });
  deleted.catch(() => undefined);
  await d.qmp.execute("device_del", { id });
  try {
    await deleted;
  } catch {
    throw new InvalidStateError(
      `NIC ${slot}: the guest did not release it within ${UNPLUG_TIMEOUT_MS / 1000} s (its OS must answer the unplug request); it is still plugged`,
    );
  }
  await dropBackend(d, slot);
}

/** The netdev and the tap of a slot with no device: gone, whether or not they were there. */
async function dropBackend(d: HotplugDeps, slot: number): Promise<void> {
  await d.qmp.execute("netdev_del", { id: nicNetdevId(slot) }).catch(() => undefined);
  await deleteLink(d.networks.runner, tapNameFor(d.vmId, slot)).catch(() => undefined);
}
