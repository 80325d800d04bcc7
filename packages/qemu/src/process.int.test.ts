/** Spawning detached QEMU and telling whether a pid is still our QEMU. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { VmSpecSchema } from "@guesthouse/shared/vm";
import { buildArgv } from "./argv.ts";
import { QemuInstance } from "./instance.ts";
import { isQemuAlive, procStats, qemuVersion, readPidfile } from "./process.ts";
import { runtimePaths } from "./runtime-paths.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "qemu-proc-"));
});
after(() => rm(dir, { recursive: true, force: true }));

test("qemu --version", async () => {
  assert.match(await qemuVersion("qemu-system-x86_64"), /^\d+\.\d+\.\d+$/);
});

test("a launched QEMU is detached, has a pidfile, answers QMP, and its SIGKILL is seen", { timeout: 30_000 }, async () => {
  const paths = runtimePaths(dir);
  const argv = buildArgv({
    id: "p1",
    spec: VmSpecSchema.parse({ name: "p1", memoryMiB: 32, cdrom: null }),
    stateDir: dir,
    diskPaths: [],
    accel: "tcg",
    cpu: "qemu64",
    tcgTbSizeMiB: 16,
    startPaused: true,
  });
  const qemu = await QemuInstance.launch({ binary: "qemu-system-x86_64", argv, paths });
  try {
    assert.equal(await readPidfile(paths.pidfile), qemu.pid);
    assert.equal(await isQemuAlive(qemu.pid, paths.pidfile), true);
    assert.equal(await isQemuAlive(qemu.pid, "/some/other/pidfile"), false, "a pid is only ours with our pidfile in its argv");
    assert.equal(await isQemuAlive(process.pid, paths.pidfile), false);
    const stat = await readFile(`/proc/${qemu.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    assert.equal(fields[3], String(qemu.pid), "QEMU leads its own session (setsid), away from our signals");
    assert.deepEqual(await qemu.qmp.execute("query-status"), { status: "prelaunch", singlestep: false, running: false });
    const stats = await procStats(qemu.pid);
    assert.ok(stats && stats.rssBytes > 0);
    qemu.kill("SIGKILL");
    const exit = await qemu.exited;
    assert.equal(exit.shutdown, undefined, "no SHUTDOWN event: it died");
    assert.equal(await isQemuAlive(qemu.pid, paths.pidfile), false);
  } finally {
    qemu.kill("SIGKILL");
  }
});

test("a QEMU that cannot start reports its own error", async () => {
  const paths = runtimePaths(dir);
  await assert.rejects(
    QemuInstance.launch({
      binary: "qemu-system-x86_64",
      argv: ["-machine", "no-such-machine", "-qmp", `unix:${paths.qmp},server=on,wait=off`],
      paths,
    }),
    /QEMU exited during start \(code 1\): unsupported machine type/,
  );
});
