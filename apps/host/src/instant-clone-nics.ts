/**
 * Instant clones of RAM-state templates with NICs (docs/decisions/0058). The template's RAM holds its
 * NICs as its guest saw them, MACs included, so the clone starts from that state with every NIC's
 * link down (set before the CPUs run: no frame with the template's MAC leaves), then the template's
 * NICs are unplugged and the clone's own, with fresh MACs, hot-plugged in their slots.
 */
import { nicDeviceId } from "@guesthouse/qemu/argv-nics";
import type { QmpClient } from "@guesthouse/qemu/qmp";
import { nicHotplugRefusal, type VmNic } from "@guesthouse/shared/network";
import { convergeNics } from "./nic-hotplug.ts";
import type { VmManager } from "./vm-manager.ts";
import type { VmRecord } from "./vm-record.ts";

/** Why an instant clone of this template cannot have NICs of its own, or undefined when it can. */
export function instantWithNicsRefusal(
  tpl: { spec: { profile: "modern" | "legacy"; nics: readonly VmNic[] } },
  id: string,
): string | undefined {
  if (tpl.spec.nics.length === 0) return undefined;
  const why = nicHotplugRefusal(tpl.spec.profile, id);
  return (
    why &&
    `mode: this template's RAM state holds its NICs with the template's MAC addresses, and ${why.replace(/; power.*$/, "")}; use a linked or full clone (it gets MACs of its own)`
  );
}

/** Run while the restored clone is still paused: every NIC's link down. */
export async function linksDown(qmp: QmpClient, nics: readonly VmNic[]): Promise<void> {
  for (const n of nics) await qmp.execute("set_link", { name: nicDeviceId(n.slot), up: false });
}

/** Run once the clone runs: the template's NICs out, the clone's in (its guest answers the unplug). */
export async function swapInOwnNics(m: VmManager, rec: VmRecord, templateNics: readonly VmNic[]): Promise<void> {
  if (templateNics.length === 0 || !rec.instance) return;
  const deps = { vmId: rec.id, profile: rec.spec.profile, qmp: rec.instance.qmp, networks: m.networks, owner: m.guestFiles.user.runAs };
  await convergeNics(deps, templateNics, rec.spec.nics);
}
