// Both accelerators stay covered: where the probe picks KVM, the host's integration tests run a
// second time under TCG (and the other way round where TCG was chosen by GUESTHOUSE_ACCEL=tcg).
import { probeAccelerator, type Accel, type AccelMode } from "@guesthouse/qemu/accel";

export async function otherAccelerator(env: NodeJS.ProcessEnv): Promise<{ other: Accel | undefined; why: string }> {
  const binary = env.QEMU_BINARY ?? "qemu-system-x86_64";
  const mode = (env.GUESTHOUSE_ACCEL ?? "auto") as AccelMode;
  const chosen = await probeAccelerator({ binary, mode });
  if (chosen.accel === "kvm") return { other: "tcg", why: `the probe chose ${chosen.summary}` };
  if (mode === "tcg") {
    const auto = await probeAccelerator({ binary, mode: "auto" });
    if (auto.accel === "kvm") return { other: "kvm", why: "GUESTHOUSE_ACCEL=tcg, and KVM works here" };
    return { other: undefined, why: auto.summary };
  }
  return { other: undefined, why: chosen.summary };
}
