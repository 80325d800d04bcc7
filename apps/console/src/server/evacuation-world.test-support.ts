// Several real host services for maintenance tests and the migration bench: a source and targets,
// each in its own network namespace, the source joined to each target by a veth pair (made here,
// always deleted by close()); each reports the RAM it is given (GUESTHOUSE_TEST_MEMORY_MIB). The
// console side is real too: its API as an Administrator, heartbeat, state sync and job queue.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { createHostGateway, type createCaller, type HostGateway } from "@guesthouse/api";
import type { HostClient } from "@guesthouse/host-client";
import { ensureImages, TINY_PROMPT } from "@guesthouse/images";
import { deleteAllTestNetns, inNetns, makeNetns, vethBetween } from "../../../host/src/net/test-netns.test-support.ts";
import { freePort, HostProcess, IMAGES, TOKEN, until } from "./crash-host.test-support.ts";
import { startJobs, type Jobs } from "./jobs.server.ts";
import { adminCaller, consoleLoops, emptyAndStop, serialText, shell } from "./move-world.test-support.ts";

const quiet = pino({ level: "silent" });
const MiB = 1024n * 1024n;

export interface EvacuationWorld {
  t: TestDatabase;
  /** Host ids by name; the first name given is the source. */
  ids: Record<string, string>;
  admin: ReturnType<typeof createCaller>;
  user: { id: string; email: string; name: string; sessionId: string };
  gateway: HostGateway;
  consoleData: string;
  jobs: Jobs;
  /** A console restart's job queue: stops this one and starts another (which resumes what was left). */
  restartJobs(): Promise<void>;
  client(hostId: string): HostClient;
  hostVmIds(hostId: string): Promise<string[]>;
  serialText(c: HostClient, id: string): Promise<string>;
  /** Types a line on the VM's serial console and waits for `expect` in what it prints. */
  shell(c: HostClient, id: string, line: string, expect: string): Promise<void>;
  /** A tiny guest on the source, running, at its shell prompt. */
  runningVm(name: string, memoryMiB: number): Promise<string>;
  /** Resolves with the task's row once it has ended. */
  finished(taskId: string, timeoutMs?: number): Promise<Awaited<ReturnType<TestDatabase["db"]["task"]["findUniqueOrThrow"]>>>;
  close(): Promise<void>;
}

/** `capacities`: RAM (MiB) each host reports, by name; the first is the source. */
export async function openEvacuationWorld(capacities: Record<string, number>): Promise<EvacuationWorld> {
  const { tinyLinux } = await ensureImages({ dataDir: IMAGES });
  const t = await createTestDatabase();
  await seedBuiltInRoles(t.db);
  const consoleData = await mkdtemp(join(tmpdir(), "gh-evac-console-"));
  const dirs = [consoleData];
  const procs = new Map<string, HostProcess>();
  const ids: Record<string, string> = {};
  const stops: (() => void)[] = [];
  let jobs: Jobs | undefined;
  const close = async () => {
    for (const stop of stops) stop();
    await jobs?.stop();
    await emptyAndStop(procs.values());
    deleteAllTestNetns();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    await t.drop();
  };
  try {
    const [source, ...targets] = Object.keys(capacities) as [string, ...string[]];
    const srcNs = makeNetns(`e${source}`.slice(0, 8));
    // The source is 10.79.<i>.1 towards target i (10.79.<i>.2); its migration address is its first
    // link's, which every other target reaches through its own link (the source answers for any of its addresses).
    const srcAddr = "10.79.1.1";
    const nets = targets.map((name, i) => {
      const ns = makeNetns(`e${name}`.slice(0, 8));
      const n = i + 1;
      vethBetween({ ns: srcNs, ifname: `mig${n}`, cidr: `10.79.${n}.1/24` }, { ns, ifname: "mig0", cidr: `10.79.${n}.2/24` });
      if (n > 1) inNetns(ns, ["ip", "route", "add", `${srcAddr}/32`, "via", `10.79.${n}.1`]);
      return { name, ns, addr: `10.79.${n}.2` };
    });
    for (const h of [{ name: source, ns: srcNs, addr: srcAddr }, ...nets]) {
      const dir = await mkdtemp(join(tmpdir(), `gh-evac-${h.name}-`));
      dirs.push(dir);
      const proc = new HostProcess(dir, await freePort(), {
        GUESTHOUSE_NETNS: h.ns,
        HOST_MIGRATION_ADDRESS: h.addr,
        GUESTHOUSE_DEFAULT_NETWORK: "off",
        GUESTHOUSE_TEST_MEMORY_MIB: String(capacities[h.name]),
      });
      procs.set(h.name, proc);
      await proc.start();
      ids[h.name] = (await t.db.host.create({ data: { name: h.name, url: proc.url, tokenHash: "registered-with-the-console-token" } })).id;
    }
    const byId = new Map(Object.entries(ids).map(([name, id]) => [id, procs.get(name)!]));

    const gateway = createHostGateway(t.db, TOKEN, { dataDir: consoleData });
    stops.push(consoleLoops(t, gateway).stop);
    jobs = await startJobs({ connectionString: t.url, db: t.db, hosts: gateway, log: quiet });

    const { user, admin } = await adminCaller(t, gateway, "ops");
    const { id: templateId } = await t.db.template.create({
      data: {
        name: "Tiny Linux",
        memoryMiB: 128,
        hostId: ids[source]!,
        kernelBoot: { kernel: tinyLinux.kernel, initrd: tinyLinux.initrd, cmdline: tinyLinux.cmdline },
      },
    });
    for (const [name, mib] of Object.entries(capacities)) {
      await until(
        `host ${name} online with its capacity`,
        async () => {
          const h = await t.db.host.findUniqueOrThrow({ where: { id: ids[name]! } });
          return h.state === "online" && h.memoryBytes === BigInt(mib) * MiB;
        },
        30_000,
      );
    }

    const client = (hostId: string) => byId.get(hostId)!.client;
    const vmRow = (id: string) => t.db.vm.findUniqueOrThrow({ where: { id } });
    const world: EvacuationWorld = {
      t,
      ids,
      admin,
      user,
      gateway,
      consoleData,
      get jobs() {
        return jobs!;
      },
      async restartJobs() {
        await jobs?.stop();
        jobs = await startJobs({ connectionString: t.url, db: t.db, hosts: gateway, log: quiet });
      },
      client,
      hostVmIds: async (hostId) => (await client(hostId).vm.list.query()).map((v) => v.id).sort(),
      serialText,
      shell,
      async runningVm(name, memoryMiB) {
        const { id } = await admin.vm.create({
          name,
          source: { kind: "template", templateId },
          memoryMiB,
          diskGiB: 1 / 64,
          nics: [],
          hostId: ids[source]!,
        });
        await admin.vm.start({ vmId: id });
        await until(`${name} to run`, async () => (await vmRow(id)).state === "running", 60_000);
        await until(`${name}'s shell prompt`, async () => (await serialText(client(ids[source]!), id)).includes(TINY_PROMPT), 120_000);
        return id;
      },
      finished: (taskId, timeoutMs = 300_000) =>
        until(
          "the task to end",
          async () => {
            const r = await t.db.task.findUniqueOrThrow({ where: { id: taskId } });
            return r.state !== "running" && r;
          },
          timeoutMs,
        ),
      close,
    };
    return world;
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
