/**
 * The socket calls Node's `net` module does not offer, made through koffi (a maintained FFI with
 * prebuilt binaries; nothing is compiled at install): a connected unix socket pair with a chosen
 * send buffer, and a write that carries a file descriptor (SCM_RIGHTS), which is how QMP's
 * `getfd` receives one. See docs/decisions/0060-qemu-writes-the-screen-into-a-socket-we-sized.md.
 */
import type { Socket } from "node:net";
import koffi from "koffi";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
/** SO_SNDBUF without the `net.core.wmem_max` cap; needs CAP_NET_ADMIN. */
const SO_SNDBUFFORCE = 32;
const SCM_RIGHTS = 1;
const MSG_NOSIGNAL = 0x4000;
const MSG_DONTWAIT = 0x40;

const libc = koffi.load("libc.so.6");
const iovec = koffi.struct("gh_iovec", { iov_base: "void *", iov_len: "size_t" });
const msghdr = koffi.struct("gh_msghdr", {
  msg_name: "void *",
  msg_namelen: "uint32_t",
  msg_iov: koffi.pointer(iovec),
  msg_iovlen: "size_t",
  msg_control: "void *",
  msg_controllen: "size_t",
  msg_flags: "int",
});
const c = {
  socketpair: libc.func("int socketpair(int domain, int type, int protocol, _Out_ int *sv)"),
  setsockopt: libc.func("int setsockopt(int fd, int level, int name, const void *value, uint32_t length)"),
  sendmsg: libc.func("sendmsg", "intptr_t", ["int", koffi.pointer(msghdr), "int"]),
  close: libc.func("int close(int fd)"),
};

function failed(call: string): Error {
  const errno = koffi.errno();
  return Object.assign(new Error(`${call} failed (errno ${errno})`), { errno });
}

function intBytes(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32LE(value);
  return bytes;
}

/**
 * A connected pair of unix stream sockets, close-on-exec. `firstSendBuffer` sizes the first
 * one's send buffer: as root past `net.core.wmem_max`, otherwise up to it.
 */
export function socketPair(firstSendBuffer?: number): [number, number] {
  const fds = [-1, -1];
  if (c.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) !== 0) throw failed("socketpair");
  const [first, second] = fds as [number, number];
  if (firstSendBuffer !== undefined) {
    const size = intBytes(firstSendBuffer);
    if (c.setsockopt(first, SOL_SOCKET, SO_SNDBUFFORCE, size, 4) !== 0 && c.setsockopt(first, SOL_SOCKET, SO_SNDBUF, size, 4) !== 0) {
      const error = failed("setsockopt(SO_SNDBUF)");
      closeDescriptor(first);
      closeDescriptor(second);
      throw error;
    }
  }
  return [first, second];
}

export function closeDescriptor(fd: number): void {
  c.close(fd);
}

/** The descriptor under a connected Node socket (a unix socket or a pipe). */
export function descriptorOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) throw new Error("the socket has no descriptor (not connected, or closed)");
  return fd;
}

/**
 * Writes `bytes` on the unix socket `socketFd` with `fd` attached, without blocking. Returns how
 * many bytes went; the descriptor travels with the first of them.
 */
export function sendWithDescriptor(socketFd: number, bytes: Buffer, fd: number): number {
  const control = Buffer.alloc(24); // CMSG_SPACE(sizeof(int)) on 64-bit Linux
  control.writeBigUInt64LE(20n, 0); // cmsg_len = CMSG_LEN(sizeof(int))
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  control.writeInt32LE(fd, 16);
  const message = {
    msg_name: null,
    msg_namelen: 0,
    msg_iov: [{ iov_base: bytes, iov_len: bytes.length }],
    msg_iovlen: 1,
    msg_control: control,
    msg_controllen: control.length,
    msg_flags: 0,
  };
  const sent = Number(c.sendmsg(socketFd, message, MSG_NOSIGNAL | MSG_DONTWAIT));
  if (sent < 0) throw failed("sendmsg");
  return sent;
}
