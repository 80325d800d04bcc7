/**
 * Who QEMU runs as (docs/decisions/0025-qemu-as-its-own-user.md). As root: the dedicated system
 * user `guesthouse-qemu` (made here when missing, `useradd` with an argv), its own group as the
 * primary group and `kvm` as a supplementary one, set by util-linux's `setpriv` as QEMU's exec
 * wrapper. Not root (a developer's machine): QEMU runs as the service's own user, and says so.
 */
import { execFile } from "node:child_process";
import { chmod, readFile, stat } from "node:fs/promises";
import { userInfo } from "node:os";
import { promisify } from "node:util";
import type { RunAs } from "@guesthouse/qemu/process";

export const GUEST_USER_NAME = "guesthouse-qemu";

export interface GuestUser {
  name: string;
  uid: number;
  gid: number;
  /** True when QEMU runs as a user of its own; false when it runs as the service's user. */
  dedicated: boolean;
  /** In words, for host capacity and the log. */
  summary: string;
  /** What spawnQemu needs, or undefined to run QEMU as ourselves. */
  runAs?: RunAs;
}

/** `name:x:uid:gid:…` lines of /etc/passwd or /etc/group, by name. */
async function entry(file: string, name: string): Promise<string[] | undefined> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .map((line) => line.split(":"))
    .find((fields) => fields[0] === name);
}

async function createUser(): Promise<void> {
  await promisify(execFile)("useradd", [
    "--system",
    "--user-group",
    "--no-create-home",
    "--home-dir",
    "/nonexistent",
    "--shell",
    "/usr/sbin/nologin",
    "--comment",
    "Guesthouse QEMU guests",
    GUEST_USER_NAME,
  ]);
}

/** QEMU as the service's own user: what a VmManager starts with until the service has resolved its user. */
export function ourselves(why = "not resolved yet"): GuestUser {
  const me = userInfo();
  return {
    name: me.username,
    uid: me.uid,
    gid: me.gid,
    dedicated: false,
    summary: `QEMU runs as the host service's user '${me.username}' (${why})`,
  };
}

/** Resolves (and as root, makes) the user QEMU runs as. */
export async function resolveGuestUser(): Promise<GuestUser> {
  if (process.getuid?.() !== 0) return ourselves("the host service is not root, so it cannot switch to a user of its own");
  let user = await entry("/etc/passwd", GUEST_USER_NAME);
  if (!user) {
    try {
      await createUser();
    } catch (error) {
      return ourselves(`'${GUEST_USER_NAME}' is missing and useradd failed: ${(error as Error).message.split("\n")[0]}`);
    }
    user = await entry("/etc/passwd", GUEST_USER_NAME);
  }
  const uid = Number(user?.[2]);
  const gid = Number(user?.[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) return ourselves(`'${GUEST_USER_NAME}' has no usable uid`);
  const kvm = Number((await entry("/etc/group", "kvm"))?.[2]);
  const groups = Number.isInteger(kvm) ? [gid, kvm] : [gid];
  return {
    name: GUEST_USER_NAME,
    uid,
    gid,
    dedicated: true,
    summary: `QEMU runs as '${GUEST_USER_NAME}' (uid ${uid}, groups ${groups.join(",")}${Number.isInteger(kvm) ? ", kvm among them" : "; there is no kvm group"})`,
    runAs: { uid, gid, groups },
  };
}

export const TUN_DEVICE = "/dev/net/tun";

/**
 * QEMU opens the tap device by name through /dev/net/tun, as its own user. udev's default rule
 * makes that device 0666 (opening it grants nothing: making a tap takes CAP_NET_ADMIN, and a tap
 * opens only for its owner); a machine without udev (a container, a minimal image) leaves the
 * kernel's 0600 root, and every VM with a NIC fails to start with "could not open /dev/net/tun".
 * As root with a user of its own for QEMU, the service then sets udev's mode, and says so.
 */
export async function tunForGuests(user: GuestUser, device = TUN_DEVICE): Promise<string | undefined> {
  if (!user.dedicated) return undefined;
  const info = await stat(device).catch(() => undefined);
  if (!info?.isCharacterDevice() || (info.mode & 0o006) === 0o006) return undefined;
  await chmod(device, 0o666);
  return `${device} was ${(info.mode & 0o777).toString(8)}, which '${user.name}' cannot open; made it 0666, as udev's default rule does`;
}
