import { gzipSync } from "node:zlib";

/** One initramfs member; paths are relative to the guest's root, without a leading slash. */
export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; data: Buffer; mode?: number }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "chardev"; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = "TRAILER!!!";

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");
const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);

function header(ino: number, mode: number, nlink: number, size: number, rdev: [number, number], nameSize: number): string {
  // newc ("070701"): 13 hex fields; mtime 0 keeps the archive reproducible.
  const fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], nameSize, 0];
  return "070701" + fields.map(hex8).join("");
}

function member(ino: number, name: string, mode: number, nlink: number, data: Buffer, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(name + "\0", "utf8");
  const head = Buffer.from(header(ino, mode, nlink, data.length, rdev, nameBytes.length), "ascii");
  return [head, nameBytes, pad4(head.length + nameBytes.length), data, pad4(data.length)];
}

/** Writes a newc cpio archive, the format the Linux kernel unpacks as initramfs. */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    if (e.path === "" || e.path.startsWith("/")) throw new Error(`cpio: path must be relative: ${e.path}`);
    switch (e.kind) {
      case "dir":
        parts.push(...member(ino++, e.path, S_IFDIR | (e.mode ?? 0o755), 2, Buffer.alloc(0)));
        break;
      case "file":
        parts.push(...member(ino++, e.path, S_IFREG | (e.mode ?? 0o644), 1, e.data));
        break;
      case "symlink":
        parts.push(...member(ino++, e.path, S_IFLNK | 0o777, 1, Buffer.from(e.target, "utf8")));
        break;
      case "chardev":
        parts.push(...member(ino++, e.path, S_IFCHR | (e.mode ?? 0o600), 1, Buffer.alloc(0), [e.major, e.minor]));
        break;
    }
  }
  parts.push(...member(0, TRAILER, 0, 1, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

export function cpioNewcGz(entries: readonly CpioEntry[]): Buffer {
  return gzipSync(cpioNewc(entries), { level: 9 });
}
