/**
 * Realises the host's networks: bridges, addresses, one dnsmasq each, the nftables table, taps for
 * guests. Everything is rebuilt from the stored networks on start (`reconcile`), idempotently, so
 * running guests keep their taps and dnsmasq keeps its leases (docs/decisions/0021, 0022).
 */
import { readFile, writeFile } from "node:fs/promises";
import {
  cidrsOverlap,
  OWNED_IFNAME_PREFIX,
  parseCidr,
  parseIpv4,
  formatIpv4,
  servedSubnet,
  subnetPlan,
  type HostNetwork,
  type PortForward,
  type VmNic,
} from "@guesthouse/shared/network";
import type { Logger } from "pino";
import { AlreadyExistsError, BadInputError, InvalidStateError, NotFoundError } from "../errors.ts";
import { dnsmasqArgv, dnsmasqFiles, ensureDnsmasq, runningDnsmasq, stopDnsmasq } from "./dnsmasq.ts";
import { parseLeases, type Lease } from "./leases.ts";
import { deleteLink, ensureAddress, ensureBridge, ensureTap, ensureVxlan, listLinks, probeVlanFiltering, showLink } from "./links.ts";
import { tapNameFor, vxlanNameFor } from "./names.ts";
import { netRunner, type NetRunner } from "./netns.ts";
import { NetworkStore, type StoredNetwork } from "./network-store.ts";
import { buildRuleset, replaceTableScript, type RulesetNetwork } from "./nft-ruleset.ts";

export const VLAN_REFUSAL =
  "VLAN tags need bridge VLAN filtering, and this host's kernel does not offer it (setting vlan_filtering answers 'Operation not supported')";

export interface NetworkStatus {
  network: HostNetwork;
  bridgeUp: boolean;
  dnsmasqPid: number | undefined;
  forwards: (PortForward & { guestIp: string })[];
}

export class NetworkManager {
  readonly runner: NetRunner;
  readonly store: NetworkStore;
  private vlanFiltering: boolean | undefined;

  constructor(
    storeDir: string,
    netns: string | undefined,
    readonly log: Logger,
  ) {
    this.runner = netRunner(netns);
    this.store = new NetworkStore(storeDir);
  }

  /** On service start: probe, then bring every stored network back as it was. */
  async reconcile(): Promise<void> {
    const stored = await this.store.list();
    // A host with no networks touches no interface and no nftables table (npm test's own namespace).
    if (stored.length === 0) return;
    for (const s of stored) {
      await this.realise(s).catch((err: unknown) => this.log.error({ err, network: s.network.id }, "could not realise network"));
    }
    await this.applyRules();
  }

  async list(): Promise<NetworkStatus[]> {
    const out: NetworkStatus[] = [];
    for (const s of await this.store.list()) {
      const link = await showLink(this.runner, s.network.bridge);
      const dns = servedSubnet(s.network) ? await runningDnsmasq(dnsmasqFiles(this.store.netDir(s.network.id))) : undefined;
      out.push({ network: s.network, bridgeUp: link !== undefined, dnsmasqPid: dns, forwards: s.forwards });
    }
    return out;
  }

  async ensure(network: HostNetwork): Promise<NetworkStatus> {
    const all = await this.store.list();
    const existing = all.find((s) => s.network.id === network.id);
    await this.checkNew(
      network,
      all.filter((s) => s.network.id !== network.id),
      existing,
    );
    const stored: StoredNetwork = { network, ownsBridge: network.kind !== "bridged", forwards: existing?.forwards ?? [] };
    await this.store.save(stored);
    await this.realise(stored);
    await this.applyRules();
    return (await this.list()).find((s) => s.network.id === network.id) as NetworkStatus;
  }

  private async checkNew(n: HostNetwork, others: StoredNetwork[], existing: StoredNetwork | undefined): Promise<void> {
    if (existing && existing.network.kind !== n.kind)
      throw new BadInputError(`network '${n.id}' is ${existing.network.kind}; its kind cannot change`);
    const clash = others.find((o) => o.network.bridge === n.bridge);
    if (clash) throw new AlreadyExistsError(`bridge '${n.bridge}' is already used by network '${clash.network.id}'`);
    const link = await showLink(this.runner, n.bridge);
    if (n.kind === "bridged") {
      if (!link) throw new BadInputError(`bridge: there is no interface '${n.bridge}' on this host to join`);
      if (link.linkinfo?.info_kind !== "bridge") throw new BadInputError(`bridge: '${n.bridge}' is not a bridge`);
      return;
    }
    if (!n.bridge.startsWith(OWNED_IFNAME_PREFIX))
      throw new BadInputError(`bridge: names Guesthouse makes start with '${OWNED_IFNAME_PREFIX}'`);
    if (link && !existing) throw new AlreadyExistsError(`bridge: interface '${n.bridge}' exists and is not Guesthouse's`);
    const subnet = servedSubnet(n);
    if (subnet) {
      const mine = parseCidr(subnet);
      for (const o of others) {
        const their = servedSubnet(o.network);
        const theirs = their ? parseCidr(their) : undefined;
        if (mine && theirs && cidrsOverlap(mine, theirs))
          throw new BadInputError(`subnet: ${subnet} overlaps network '${o.network.id}' (${their})`);
      }
      await this.checkSubnetFree(subnet, n.bridge);
    }
  }

  /** An address of the host's own (outside our bridges) inside the subnet would make its routes ambiguous. */
  async checkSubnetFree(subnet: string, bridge: string): Promise<void> {
    const mine = parseCidr(subnet);
    for (const link of await listLinks(this.runner)) {
      if (link.ifname === bridge) continue;
      const full = await showLink(this.runner, link.ifname);
      for (const a of full?.addr_info ?? []) {
        const ip = a.family === "inet" ? parseIpv4(a.local) : undefined;
        if (ip === undefined || !mine) continue;
        const block = 2 ** (32 - Math.min(mine.prefix, a.prefixlen));
        if (Math.floor(ip / block) === Math.floor(mine.base / block)) {
          throw new BadInputError(`subnet: ${subnet} overlaps ${a.local}/${a.prefixlen} on the host's interface '${link.ifname}'`);
        }
      }
    }
  }

  private async realise(s: StoredNetwork): Promise<void> {
    const n = s.network;
    if (n.kind === "bridged") return; // the operator's bridge: we only plug taps into it
    await ensureBridge(this.runner, n.bridge);
    // Stretched to other hosts, or no longer: the VXLAN follows what the console sent.
    if (n.overlay) await ensureVxlan(this.runner, vxlanNameFor(n.id), n.overlay, n.bridge);
    else await deleteLink(this.runner, vxlanNameFor(n.id));
    const files = dnsmasqFiles(this.store.netDir(n.id));
    const subnet = servedSubnet(n);
    if (!subnet) {
      await stopDnsmasq(files);
      return;
    }
    const plan = subnetPlan(subnet);
    await ensureAddress(this.runner, n.bridge, plan.gateway, plan.prefix);
    if (n.kind === "nat") await this.runner.run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    await this.writeStaticLeases(s);
    await ensureDnsmasq(this.runner, dnsmasqArgv({ bridge: n.bridge, subnet, files, domain: `${n.id}.guesthouse` }), files);
  }

  async remove(id: string, vmsUsing: (networkId: string) => string[]): Promise<void> {
    const s = await this.get(id);
    const users = vmsUsing(id);
    if (users.length > 0) throw new InvalidStateError(`network '${id}' is in use by running VM(s): ${users.join(", ")}`);
    await stopDnsmasq(dnsmasqFiles(this.store.netDir(id)));
    await deleteLink(this.runner, vxlanNameFor(id));
    if (s.ownsBridge) await deleteLink(this.runner, s.network.bridge);
    await this.store.remove(id);
    await this.applyRules();
  }

  async get(id: string): Promise<StoredNetwork> {
    const s = (await this.store.list()).find((x) => x.network.id === id);
    if (!s) throw new NotFoundError(`no network with id '${id}' on this host`);
    return s;
  }

  async leases(id: string): Promise<Lease[]> {
    const s = await this.get(id);
    if (!servedSubnet(s.network)) return [];
    const text = await readFile(dnsmasqFiles(this.store.netDir(id)).leases, "utf8").catch(() => "");
    return parseLeases(text);
  }

  /** Leases of every network, by MAC: what the console shows as guest addresses. */
  async allLeases(): Promise<Record<string, Lease & { network: string }>> {
    const out: Record<string, Lease & { network: string }> = {};
    for (const s of await this.store.list()) {
      for (const l of await this.leases(s.network.id)) out[l.mac] = { ...l, network: s.network.id };
    }
    return out;
  }

  async addForward(networkId: string, f: PortForward): Promise<{ guestIp: string }> {
    const s = await this.get(networkId);
    if (s.network.kind !== "nat") throw new BadInputError(`network '${networkId}' is ${s.network.kind}: port forwards need a nat network`);
    const all = await this.store.list();
    for (const o of all) {
      const taken = o.forwards.find((x) => x.protocol === f.protocol && x.hostPort === f.hostPort);
      if (taken)
        throw new AlreadyExistsError(
          `hostPort: ${f.protocol} port ${f.hostPort} already forwards to ${taken.guestIp}:${taken.guestPort} (network '${o.network.id}')`,
        );
    }
    if (await this.portInUse(f.protocol, f.hostPort))
      throw new AlreadyExistsError(`hostPort: ${f.protocol} port ${f.hostPort} is in use on this host`);
    const guestIp = await this.staticAddressFor(s, f.guestMac);
    s.forwards.push({ ...f, guestIp });
    await this.store.save(s);
    await this.realise(s);
    await this.applyRules();
    return { guestIp };
  }

  async removeForward(networkId: string, protocol: "tcp" | "udp", hostPort: number): Promise<void> {
    const s = await this.get(networkId);
    const before = s.forwards.length;
    s.forwards = s.forwards.filter((x) => !(x.protocol === protocol && x.hostPort === hostPort));
    if (s.forwards.length === before) throw new NotFoundError(`network '${networkId}' has no ${protocol} forward from port ${hostPort}`);
    await this.store.save(s);
    await this.applyRules();
  }

  private async portInUse(protocol: "tcp" | "udp", port: number): Promise<boolean> {
    const out = await this.runner.run(["ss", "-H", "-n", "-l", protocol === "tcp" ? "-t" : "-u", "sport", "=", `:${port}`]);
    return out.trim() !== "";
  }

  /** The MAC's current lease if it has one, else the first free address: bound to the MAC from now on. */
  private async staticAddressFor(s: StoredNetwork, mac: string): Promise<string> {
    const known = s.forwards.find((x) => x.guestMac === mac)?.guestIp;
    if (known) return known;
    const leases = await this.leases(s.network.id);
    const leased = leases.find((l) => l.mac === mac)?.ip;
    if (leased) return leased;
    const subnet = servedSubnet(s.network);
    if (!subnet) throw new BadInputError("this network hands out no addresses");
    const plan = subnetPlan(subnet);
    const used = new Set([...leases.map((l) => l.ip), ...s.forwards.map((x) => x.guestIp)]);
    for (let ip = parseIpv4(plan.dhcpEnd) as number; ip >= (parseIpv4(plan.dhcpStart) as number); ip--) {
      if (!used.has(formatIpv4(ip))) return formatIpv4(ip);
    }
    throw new BadInputError(`network '${s.network.id}' has no free address left`);
  }

  private async writeStaticLeases(s: StoredNetwork): Promise<void> {
    const files = dnsmasqFiles(this.store.netDir(s.network.id));
    const lines = [...new Map(s.forwards.map((f) => [f.guestMac, f.guestIp])).entries()].map(([mac, ip]) => `${mac},${ip}\n`);
    await writeFile(files.hostsFile, lines.join(""));
    const pid = await runningDnsmasq(files);
    if (pid !== undefined) process.kill(pid, "SIGHUP"); // dnsmasq re-reads --dhcp-hostsfile on SIGHUP
  }

  async applyRules(): Promise<void> {
    const stored = await this.store.list();
    // A segment has no rules of its own: its home host routes, serves and forwards for it.
    const nets: RulesetNetwork[] = stored.flatMap((s) =>
      s.network.kind === "nat" || s.network.kind === "isolated"
        ? [{ kind: s.network.kind, bridge: s.network.bridge, subnet: s.network.subnet }]
        : [],
    );
    const forwards = stored.flatMap((s) => s.forwards);
    const script =
      nets.length === 0 && forwards.length === 0 ? replaceTableScript(undefined) : replaceTableScript(buildRuleset(nets, forwards));
    await this.runner.run(["nft", "-f", "-"], { input: script });
  }

  /** Makes (or keeps) the taps a VM's NICs need, each on its network's bridge. */
  /** `owner`: QEMU's own user (ADR 0025), who must be able to open the taps without privileges. */
  async tapsFor(vmId: string, nics: readonly VmNic[], owner?: { uid: number; gid: number }): Promise<Record<number, string>> {
    const bridges = await this.checkNics(nics);
    const taps: Record<number, string> = {};
    for (const [slot, bridge] of bridges) {
      const tap = tapNameFor(vmId, slot);
      await ensureTap(this.runner, tap, bridge, owner);
      taps[slot] = tap;
    }
    return taps;
  }

  /** Checks a spec's NICs without making anything; answers each networked slot's bridge. */
  async checkNics(nics: readonly VmNic[]): Promise<Map<number, string>> {
    const stored = await this.store.list();
    const bridges = new Map<number, string>();
    for (const nic of nics) {
      if (nic.attach.kind !== "network") continue;
      const networkId = nic.attach.network;
      const s = stored.find((x) => x.network.id === networkId);
      if (!s) throw new BadInputError(`NIC ${nic.slot}: network '${networkId}' does not exist on this host`);
      if (nic.attach.vlan !== undefined) {
        if (s.network.kind !== "bridged") throw new BadInputError(`NIC ${nic.slot}: VLAN tags apply only to bridged networks`);
        if (!(await this.hasVlanFiltering())) throw new BadInputError(`NIC ${nic.slot}: ${VLAN_REFUSAL}`);
        throw new BadInputError(`NIC ${nic.slot}: VLAN tags are not implemented yet on hosts that filter VLANs`);
      }
      bridges.set(nic.slot, s.network.bridge);
    }
    return bridges;
  }

  /** Probed once, on first need: the probe makes (and removes) a scratch bridge of our own. */
  async hasVlanFiltering(): Promise<boolean> {
    this.vlanFiltering ??= await probeVlanFiltering(this.runner);
    return this.vlanFiltering;
  }

  async removeTaps(vmId: string, nics: readonly VmNic[]): Promise<void> {
    for (const nic of nics) await deleteLink(this.runner, tapNameFor(vmId, nic.slot)).catch(() => undefined);
  }
}
