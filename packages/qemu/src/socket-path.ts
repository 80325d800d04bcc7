import { Buffer } from "node:buffer";

/** sun_path is 108 bytes on Linux, including the terminating NUL. */
export const UNIX_PATH_MAX = 107;

export class SocketPathTooLongError extends Error {
  constructor(readonly path: string) {
    super(
      `unix socket path '${path}' is ${Buffer.byteLength(path)} bytes; Linux allows at most ${UNIX_PATH_MAX}. ` +
        `Use a shorter data folder.`,
    );
    this.name = "SocketPathTooLongError";
  }
}

export function assertSocketPath(path: string): string {
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) throw new SocketPathTooLongError(path);
  return path;
}
