/** The host service: VMs, disks and host figures behind one object that the tRPC router calls. */
import { mkdir } from "node:fs/promises";
import { crashPoint } from "@guesthouse/shared/crash-point";
import { join } from "node:path";
import { qemuVersion } from "@guesthouse/qemu/process";
import { procStats } from "@guesthouse/qemu/process";
import type { VmSpec } from "@guesthouse/shared/vm";
import type { Logger } from "pino";
import type { HostConfig } from "./config.ts";
import { nicDeviceId } from "@guesthouse/qemu/argv-nics";
import { DiskStore } from "./disks.ts";
import { GuestFiles } from "./guest-files.ts";
import { resolveGuestUser, TUN_DEVICE, tunForGuests } from "./guest-user.ts";
import { NotFoundError } from "./errors.ts";
import { NetworkManager } from "./net/network-manager.ts";
import { hostInfo, type HostInfo } from "./host-info.ts";
import { hostPaths, type HostPaths } from "./paths.ts";
import { acquireLock } from "./service-lock.ts";
import { templatesOf } from "./templates.ts";
import { mediaAttach, mediaEject, screendump, serialStream, serialWrite } from "./vm-io.ts";
import { VmManager } from "./vm-manager.ts";
import { pauseVm, powerOffVm, resetVm, resumeVm, shutdownVm, startVm } from "./vm-power.ts";
import type { VmRecord } from "./vm-record.ts";
import { rediscover } from "./vm-rediscover.ts";
import { removePartialUploads } from "./media-upload.ts";
import { discardSavedState, restoreVm, saveVm } from "./vm-save.ts";
import { VmStore } from "./vm-store.ts";
import { LongOps } from "./long-ops.ts";

export interface VmView {
  id: string;
  spec: VmSpec;
  state: VmRecord["state"];
  reason: VmRecord["reason"];
  since: number;
  /** Version of the state event that set `state` (see VmStateEvent.version). */
  stateVersion: number;
  pid: number | null;
  rssBytes: number | null;
  cpuSeconds: number | null;
}

export class HostService {
  readonly paths: HostPaths;
  readonly vms: VmManager;
  readonly networks: NetworkManager;
  readonly disks: DiskStore;
  /** Full clones' disk copies and state saves under way: their progress, and their cancellation. */
  readonly longOps = new LongOps();
  #qemuVersion = "unknown";
  #releaseLock: (() => void) | undefined;

  private constructor(
    readonly config: HostConfig,
    readonly log: Logger,
  ) {
    this.paths = hostPaths(config.dataDir);
    this.networks = new NetworkManager(join(this.paths.root, "networks"), config.netns, log);
    this.vms = new VmManager(config, this.paths, new VmStore(this.paths), log, this.networks);
    this.disks = new DiskStore(config, this.paths, {
      vmsUsing: (diskId) =>
        [...this.vms.records.values()].flatMap((r) =>
          r.spec.disks.flatMap((d, i) => (d.disk === diskId ? [{ vmId: r.id, running: !!r.instance, node: `disk${i}` }] : [])),
        ),
      resizeLive: (vmId, node, size) =>
        this.vms.serialised(vmId, "disk-resize", async (rec) => {
          if (!rec.instance) throw new Error(`VM '${vmId}' is not running`);
          await rec.instance.qmp.execute("block_resize", { "node-name": node, size });
        }),
    });
  }

  /** Creates the folders, takes the data folder's lock, and reattaches to the guests left running. */
  static async open(config: HostConfig, log: Logger): Promise<HostService> {
    const service = new HostService(config, log);
    await mkdir(service.paths.root, { recursive: true, mode: 0o700 });
    service.#qemuVersion = await qemuVersion(config.qemuBinary);
    service.#releaseLock = acquireLock(service.paths.root);
    const user = await resolveGuestUser();
    service.vms.guestFiles = new GuestFiles(user, config.dataDir);
    (user.dedicated ? log.info.bind(log) : log.warn.bind(log))({ qemuUser: user.name, uid: user.uid }, user.summary);
    const tun = await tunForGuests(user).catch((err: Error) => `${TUN_DEVICE} could not be opened up for QEMU: ${err.message}`);
    if (tun) log.warn({ device: TUN_DEVICE }, tun);
    try {
      await service.vms.store.init();
      await service.disks.init();
      await templatesOf(service).recover();
      const partials = await removePartialUploads(config.dataDir);
      if (partials) log.warn({ partials }, "removed the partial files of uploads a previous service did not finish");
      // Networks first: a reattached guest's taps sit on these bridges.
      await service.networks.reconcile();
      await rediscover(service.vms);
    } catch (err) {
      await service.close();
      throw err;
    }
    return service;
  }

  /** Stops watching the guests without stopping them: they keep running for the next service. */
  async close(): Promise<void> {
    for (const rec of this.vms.records.values()) {
      rec.instance?.detach();
      rec.instance = undefined;
      rec.serial.detach();
    }
    this.#releaseLock?.();
    this.#releaseLock = undefined;
  }

  info(): Promise<HostInfo> {
    const recs = [...this.vms.records.values()];
    return hostInfo({
      dataDir: this.config.dataDir,
      accel: this.config.accel,
      qemuVersion: this.#qemuVersion,
      vmCount: recs.length,
      runningVmCount: recs.filter((r) => r.instance).length,
      qemuUser: (({ name, uid, dedicated, summary }) => ({ name, uid, dedicated, summary }))(this.vms.guestFiles.user),
      bootIdFile: this.config.bootIdFile,
      migrationAddress: this.config.migrationAddress,
      ...(this.config.testMemoryMiB
        ? {
            testMemory: {
              totalMiB: this.config.testMemoryMiB,
              runningMiB: recs.filter((r) => r.instance).reduce((sum, r) => sum + r.spec.memoryMiB, 0),
            },
          }
        : {}),
    });
  }

  async view(id: string): Promise<VmView> {
    const rec = this.vms.get(id);
    const pid = rec.instance?.pid ?? null;
    const stats = pid === null ? undefined : await procStats(pid);
    return {
      id: rec.id,
      spec: rec.spec,
      state: rec.state,
      reason: rec.reason,
      since: rec.since,
      stateVersion: rec.version,
      pid,
      rssBytes: stats?.rssBytes ?? null,
      cpuSeconds: stats?.cpuSeconds ?? null,
    };
  }

  list(): Promise<VmView[]> {
    return Promise.all([...this.vms.records.keys()].sort().map((id) => this.view(id)));
  }

  async define(id: string, spec: VmSpec): Promise<VmView> {
    await this.vms.define(id, spec);
    return this.view(id);
  }
  async update(id: string, spec: VmSpec): Promise<VmView> {
    await this.vms.update(id, spec);
    return this.view(id);
  }

  /** A NIC's link up or down: live on a running guest, and kept for its next start. */
  setLink = (id: string, slot: number, up: boolean) =>
    this.#op(id, "set-link", async (rec) => {
      const nic = rec.spec.nics.find((n) => n.slot === slot);
      if (!nic) throw new NotFoundError(`VM '${id}' has no NIC in slot ${slot}`);
      if (rec.instance) await rec.instance.qmp.execute("set_link", { name: nicDeviceId(slot), up });
      rec.spec = { ...rec.spec, nics: rec.spec.nics.map((n) => (n.slot === slot ? { ...n, linkUp: up } : n)) };
      this.vms.store.writeSpec(id, rec.spec);
    });

  /** Refused while a running guest has a tap on it. */
  removeNetwork(id: string): Promise<void> {
    return this.networks.remove(id, (networkId) =>
      [...this.vms.records.values()]
        .filter((r) => r.instance && r.spec.nics.some((n) => n.attach.kind === "network" && n.attach.network === networkId))
        .map((r) => r.id),
    );
  }

  #op(id: string, name: string, f: (rec: VmRecord) => Promise<unknown>): Promise<VmView> {
    return this.vms.serialised(id, name, f).then(() => this.view(id));
  }
  start = (id: string) => this.#op(id, "start", (r) => startVm(this.vms, r));
  shutdown = (id: string, timeoutMs: number) => this.#op(id, "shutdown", (r) => shutdownVm(this.vms, r, timeoutMs));
  reset = (id: string) => this.#op(id, "reset", (r) => resetVm(this.vms, r));
  pause = (id: string) => this.#op(id, "pause", (r) => pauseVm(this.vms, r));
  resume = (id: string) => this.#op(id, "resume", (r) => resumeVm(this.vms, r));
  save = (id: string) => this.#op(id, "save", (r) => this.longOps.run(id, "save", (control) => saveVm(this.vms, r, control)));
  restore = (id: string) => this.#op(id, "restore", (r) => restoreVm(this.vms, r));
  discardSaved = (id: string) => this.#op(id, "discardSaved", (r) => discardSavedState(this.vms, r));
  mediaAttach = (id: string, iso: string) => this.#op(id, "media", (r) => mediaAttach(this.vms, r, iso));
  mediaEject = (id: string) => this.#op(id, "media", (r) => mediaEject(this.vms, r));

  /** Power-off must not wait behind a slow ACPI shutdown, so while one runs it goes straight through. */
  powerOff(id: string): Promise<VmView> {
    const rec = this.vms.get(id);
    if (rec.state === "stopping") return powerOffVm(this.vms, rec).then(() => this.view(id));
    return this.#op(id, "powerOff", (r) => powerOffVm(this.vms, r));
  }

  async delete(id: string, deleteDisks: boolean): Promise<{ id: string; deletedDisks: string[] }> {
    const spec = await this.vms.delete(id);
    crashPoint("vm.delete:record-removed");
    const deletedDisks: string[] = [];
    if (deleteDisks) {
      for (const { disk } of spec.disks) {
        try {
          await this.disks.delete(disk);
          deletedDisks.push(disk);
        } catch (err) {
          this.log.warn({ vmId: id, disk, err: (err as Error).message }, "disk kept");
        }
      }
    }
    return { id, deletedDisks };
  }

  screendump = (id: string) => screendump(this.vms, this.vms.get(id));
  serialWrite = (id: string, data: Buffer) => serialWrite(this.vms.get(id), data);
  serialRead = (id: string, maxBytes: number) => {
    const ring = this.vms.get(id).serial.ring;
    const data = ring.tail(maxBytes);
    return { offset: ring.total - data.length, data };
  };
  serialStream = (id: string, replayBytes: number, signal?: AbortSignal) => serialStream(this.vms.get(id), { replayBytes, signal });

  vncSocketPath(id: string): string {
    return this.paths.runtime(this.vms.get(id).id).vnc;
  }
}
