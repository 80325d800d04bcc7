// The evacuation planner on figures alone: larger guests first, each target's load predicted after
// the moves already planned (so no target is overfilled), stopped guests take no RAM, a guest no
// host can take is named with every host's reason, and moving back goes only to the home host.
import assert from "node:assert/strict";
import { test } from "node:test";
import { planGuests, type PlanGuest, type PlanHost } from "./evacuation-plan.ts";

const MiB = 1024n * 1024n;
const host = (id: string, freeMiB: number, over: Partial<PlanHost> = {}): PlanHost => ({
  id,
  name: id,
  state: "online",
  maintenance: false,
  cores: 2,
  memoryFreeBytes: BigInt(freeMiB) * MiB,
  kvm: false,
  cpuModels: ["qemu64"],
  ...over,
});
const guest = (name: string, memoryMiB: number, over: Partial<PlanGuest> = {}): PlanGuest => ({
  id: `id-${name}`,
  name,
  state: "running",
  needs: { memoryMiB, cpus: 1, cpuModel: "auto", networkHostIds: [], media: null },
  ...over,
});

test("three guests onto two targets: larger first, no target overfilled by the moves planned before", () => {
  // a fits 300 MiB, b 200 MiB: naively "most free RAM" would put all three on a.
  const plan = planGuests([guest("small", 100), guest("big", 200), guest("mid", 150)], [host("a", 300), host("b", 200)]);
  assert.deepEqual(
    plan.moves.map((m) => [m.vmName, m.targetName, m.mode]),
    [
      ["big", "a", "live"],
      ["mid", "b", "live"],
      ["small", "a", "live"],
    ],
  );
  assert.deepEqual(plan.refused, []);
  const load = (id: string) => plan.moves.filter((m) => m.targetHostId === id).reduce((s, m) => s + m.memoryMiB, 0);
  assert.ok(load("a") <= 300 && load("b") <= 200, `a ${load("a")} MiB, b ${load("b")} MiB`);
});

test("a guest nothing can take is refused with each host's reason; the others still move", () => {
  const plan = planGuests(
    [
      guest("huge", 4096),
      guest("fine", 64),
      guest("iso", 64, { needs: { ...guest("x", 64).needs, media: { name: "debian.iso", hostId: "src" } } }),
    ],
    [host("a", 512), host("b", 256, { maintenance: true })],
  );
  assert.deepEqual(
    plan.moves.map((m) => m.vmName),
    ["fine"],
  );
  const huge = plan.refused.find((r) => r.vmName === "huge")!;
  assert.match(huge.reason, /no host can take it: 'a' has 512 MiB of RAM free; the VM needs 4096 MiB; 'b' is in maintenance/);
  assert.match(plan.refused.find((r) => r.vmName === "iso")!.reason, /ISO 'debian.iso' attached, which 'a' does not have/);
});

test("stopped guests move cold and take no RAM at their target; CPUs spread the tie", () => {
  const plan = planGuests(
    [guest("off1", 200, { state: "stopped" }), guest("off2", 200, { state: "stopped" }), guest("on", 200)],
    [host("a", 250), host("b", 250)],
  );
  assert.deepEqual(
    plan.moves.map((m) => [m.vmName, m.targetName, m.mode]),
    [
      ["off1", "a", "cold"],
      ["off2", "b", "cold"],
      ["on", "a", "live"],
    ],
  );
});

test("moving back: each guest only to its home host, refused when that is full", () => {
  const plan = planGuests(
    [guest("one", 100, { homeHostId: "home" }), guest("two", 100, { homeHostId: "home" })],
    [host("home", 150), host("other", 4096)],
  );
  assert.deepEqual(
    plan.moves.map((m) => [m.vmName, m.targetName]),
    [["one", "home"]],
  );
  assert.match(plan.refused[0]!.reason, /'home' has 50 MiB of RAM free; the VM needs 100 MiB/);
});
