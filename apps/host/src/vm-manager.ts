/** The registry of VMs: their state, their events, and one queue per VM that serialises operations. */
import { rm } from "node:fs/promises";
import type { QemuInstance } from "@guesthouse/qemu/instance";
import type { QmpEvent } from "@guesthouse/qemu/qmp";
import { nicHotplugRefusal } from "@guesthouse/shared/network";
import type { VmEvent } from "@guesthouse/shared/vm-events";
import type { VmReason, VmSpec, VmState } from "@guesthouse/shared/vm";
import type { Logger } from "pino";
import type { HostConfig } from "./config.ts";
import { AlreadyExistsError, InvalidStateError, NotFoundError } from "./errors.ts";
import { EventBus } from "./event-bus.ts";
import { GuestFiles } from "./guest-files.ts";
import { ourselves } from "./guest-user.ts";
import { KeyedQueue } from "./keyed-queue.ts";
import { convergeNics, liveNicSlots, onlyNicsDiffer } from "./nic-hotplug.ts";
import type { NetworkManager } from "./net/network-manager.ts";
import type { HostPaths } from "./paths.ts";
import { SerialConsole } from "./serial-console.ts";
import { assertAllowed } from "./transitions.ts";
import { checkRamFits, resolveSpec } from "./vm-spec-check.ts";
import type { VmStore } from "./vm-store.ts";
import { shutdownEventReason, unrequestedExitReason, type VmRecord } from "./vm-record.ts";

export class VmManager {
  readonly records = new Map<string, VmRecord>();
  readonly queue = new KeyedQueue();
  readonly events = new EventBus<VmEvent>();
  /** Who QEMU runs as and the file modes that go with it; set by HostService.open (ADR 0025). */
  guestFiles: GuestFiles;

  constructor(
    readonly config: HostConfig,
    readonly paths: HostPaths,
    readonly store: VmStore,
    readonly log: Logger,
    readonly networks: NetworkManager,
  ) {
    this.guestFiles = new GuestFiles(ourselves(), config.dataDir);
  }

  get(id: string): VmRecord {
    const rec = this.records.get(id);
    if (!rec) throw new NotFoundError(`no VM with id '${id}'`);
    return rec;
  }

  /** Runs `task` after every earlier operation on the same VM has finished. */
  serialised<T>(id: string, op: string, task: (rec: VmRecord) => Promise<T>): Promise<T> {
    this.get(id);
    return this.queue.run(id, op, async () => task(this.get(id)));
  }

  newRecord(id: string, spec: VmSpec, state: VmState, reason: VmReason, since = Date.now(), version = 0): VmRecord {
    const rec: VmRecord = {
      id,
      spec,
      state,
      reason,
      since,
      version,
      instance: undefined,
      serial: new SerialConsole(this.config.serialBufferBytes),
      expectExit: undefined,
    };
    this.records.set(id, rec);
    return rec;
  }

  async define(id: string, spec: VmSpec): Promise<VmRecord> {
    return this.queue.run(id, "define", async () => {
      if (this.records.has(id)) throw new AlreadyExistsError(`VM '${id}' already exists`);
      await resolveSpec(this.config, this.paths, id, spec);
      await this.networks.checkNics(spec.nics);
      await checkRamFits(id, spec.memoryMiB);
      const since = Date.now();
      try {
        this.store.create(id, spec, { state: "stopped", reason: "defined", since });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") {
          throw new AlreadyExistsError(
            `a folder for VM '${id}' already exists in ${this.paths.vmsDir} but holds no usable VM; remove it first`,
          );
        }
        throw err;
      }
      const rec = this.newRecord(id, spec, "stopped", "defined", since);
      this.events.publish((version) => {
        rec.version = version;
        return { type: "state", vmId: id, state: "stopped", previous: "stopped", reason: "defined", at: since, version };
      });
      return rec;
    });
  }

  update(id: string, spec: VmSpec): Promise<VmRecord> {
    return this.serialised(id, "update", async (rec) => {
      if (rec.instance && onlyNicsDiffer(rec.spec, spec)) return this.#hotplug(rec, spec);
      assertAllowed("update", id, rec.state);
      await resolveSpec(this.config, this.paths, id, spec);
      await this.networks.checkNics(spec.nics);
      await checkRamFits(id, spec.memoryMiB);
      this.store.writeSpec(id, spec);
      rec.spec = spec;
      return rec;
    });
  }

  /** A running guest's NICs changed: plugged and unplugged live, then kept as its spec. */
  async #hotplug(rec: VmRecord, spec: VmSpec): Promise<VmRecord> {
    assertAllowed("nicAdd", rec.id, rec.state);
    const why = nicHotplugRefusal(rec.spec.profile, rec.id);
    if (why) throw new InvalidStateError(why);
    const instance = rec.instance as QemuInstance;
    if (rec.spec.network !== "none") {
      throw new InvalidStateError(`VM '${rec.id}' has the older single user-mode NIC; power it off to change its NICs`);
    }
    const deps = { vmId: rec.id, profile: spec.profile, qmp: instance.qmp, networks: this.networks, owner: this.guestFiles.user.runAs };
    try {
      await convergeNics(deps, rec.spec.nics, spec.nics);
      rec.spec = spec;
    } catch (err) {
      // A step failed half-way: the spec records the NICs QEMU holds now, so the next try starts from there.
      const live = await liveNicSlots(instance.qmp).catch(() => undefined);
      if (live) {
        const pick = (slot: number) => spec.nics.find((n) => n.slot === slot) ?? rec.spec.nics.find((n) => n.slot === slot);
        rec.spec = { ...spec, nics: [...live].sort().flatMap((slot) => pick(slot) ?? []) };
      }
      throw err;
    } finally {
      this.store.writeSpec(rec.id, rec.spec);
    }
    return rec;
  }

  delete(id: string): Promise<VmSpec> {
    return this.serialised(id, "delete", async (rec) => {
      assertAllowed("delete", id, rec.state);
      await this.store.remove(id);
      this.records.delete(id);
      this.events.publish({ type: "removed", vmId: id, at: Date.now() });
      return rec.spec;
    });
  }

  /** RAM given to guests that have (or are getting) a QEMU process. */
  committedMiB(except?: string): number {
    let sum = 0;
    for (const r of this.records.values()) {
      if (r.id !== except && (r.instance || ["starting", "running", "paused", "saving", "stopping"].includes(r.state))) {
        sum += r.spec.memoryMiB;
      }
    }
    return sum;
  }

  setState(rec: VmRecord, state: VmState, reason: VmReason, opts: { force?: boolean } = {}): void {
    if (!opts.force && rec.state === state && rec.reason === reason) return;
    const previous = rec.state;
    rec.state = state;
    rec.reason = reason;
    rec.since = Date.now();
    this.events.publish((version) => {
      rec.version = version;
      if (this.records.get(rec.id) === rec) {
        try {
          this.store.writeState(rec.id, { state, reason, since: rec.since, version });
        } catch (err) {
          this.log.error({ vmId: rec.id, err }, "could not persist VM state");
        }
      }
      this.log.info({ vmId: rec.id, state, previous, reason, version }, "vm state");
      return { type: "state", vmId: rec.id, state, previous, reason, at: rec.since, version };
    });
  }

  /** Follows a QEMU's events and its exit for as long as it lives. */
  wire(rec: VmRecord, instance: QemuInstance): void {
    rec.instance = instance;
    instance.on("event", (e) => this.#onQmpEvent(rec, e));
    instance.on("exit", (info) => {
      if (rec.instance !== instance) return;
      rec.instance = undefined;
      rec.serial.detach();
      const expected = rec.expectExit;
      rec.expectExit = undefined;
      void this.removeRuntimeFiles(rec.id);
      void this.networks.removeTaps(rec.id, rec.spec.nics);
      if (expected) this.setState(rec, expected.state, expected.reason);
      else this.setState(rec, "stopped", unrequestedExitReason(info));
    });
  }

  /** Leftovers of a QEMU that is gone (a killed QEMU leaves its pidfile; VNC's socket always stays). */
  async removeRuntimeFiles(id: string): Promise<void> {
    const rt = this.paths.runtime(id);
    await Promise.all([rt.pidfile, rt.qmp, rt.vnc, rt.serial, this.paths.migrateSocket(id)].map((f) => rm(f, { force: true })));
  }

  /** Events no operation of ours caused (the guest powered off, rebooted, …). */
  #onQmpEvent(rec: VmRecord, e: QmpEvent): void {
    const busy = this.queue.busy(rec.id) !== undefined;
    switch (e.event) {
      case "STOP":
        if (!busy && rec.state === "running") this.setState(rec, "paused", "external");
        return;
      case "RESUME":
        if (!busy && rec.state === "paused") this.setState(rec, "running", "external");
        return;
      case "RESET":
        if (rec.state === "running" || rec.state === "paused") {
          const reason = e.data.reason === "guest-reset" ? "guest-reset" : "reset";
          this.setState(rec, rec.state, reason, { force: true });
        }
        return;
      case "SHUTDOWN":
        if (!busy && (rec.state === "running" || rec.state === "paused")) {
          this.setState(rec, "stopping", shutdownEventReason(e.data));
        }
        return;
    }
  }
}
