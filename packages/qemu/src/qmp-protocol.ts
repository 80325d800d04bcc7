/** QMP wire format: one JSON object per line. Parsing is separate from the transport so it can be unit-tested. */

export interface QmpGreeting {
  kind: "greeting";
  version: { major: number; minor: number; micro: number; package: string };
  capabilities: string[];
}
export interface QmpReturn {
  kind: "return";
  id: string | undefined;
  value: unknown;
}
export interface QmpErrorReply {
  kind: "error";
  id: string | undefined;
  errorClass: string;
  desc: string;
}
export interface QmpEvent {
  kind: "event";
  event: string;
  data: Record<string, unknown>;
  /** ms since epoch, from QEMU's timestamp */
  at: number;
}
export type QmpMessage = QmpGreeting | QmpReturn | QmpErrorReply | QmpEvent;

export class QmpProtocolError extends Error {
  override name = "QmpProtocolError";
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const idOf = (m: Record<string, unknown>): string | undefined =>
  typeof m.id === "string" ? m.id : m.id === undefined ? undefined : JSON.stringify(m.id);

export function parseQmpMessage(line: string): QmpMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new QmpProtocolError(`QMP sent a line that is not JSON: ${line.slice(0, 200)}`);
  }
  if (!isObject(raw)) throw new QmpProtocolError(`QMP sent a non-object: ${line.slice(0, 200)}`);
  if (isObject(raw.QMP)) {
    const v = isObject(raw.QMP.version) ? raw.QMP.version : {};
    const q = isObject(v.qemu) ? v.qemu : {};
    return {
      kind: "greeting",
      version: {
        major: Number(q.major ?? 0),
        minor: Number(q.minor ?? 0),
        micro: Number(q.micro ?? 0),
        package: typeof v.package === "string" ? v.package : "",
      },
      capabilities: Array.isArray(raw.QMP.capabilities) ? raw.QMP.capabilities.map(String) : [],
    };
  }
  if ("return" in raw) return { kind: "return", id: idOf(raw), value: raw.return };
  if (isObject(raw.error)) {
    return {
      kind: "error",
      id: idOf(raw),
      errorClass: typeof raw.error.class === "string" ? raw.error.class : "GenericError",
      desc: typeof raw.error.desc === "string" ? raw.error.desc : "unknown error",
    };
  }
  if (typeof raw.event === "string") {
    const ts = isObject(raw.timestamp) ? raw.timestamp : {};
    const at = Number(ts.seconds ?? 0) * 1000 + Math.floor(Number(ts.microseconds ?? 0) / 1000);
    return { kind: "event", event: raw.event, data: isObject(raw.data) ? raw.data : {}, at };
  }
  throw new QmpProtocolError(`QMP sent an unknown message: ${line.slice(0, 200)}`);
}

export function encodeQmpCommand(execute: string, args: Record<string, unknown> | undefined, id: string): string {
  return JSON.stringify(args === undefined ? { execute, id } : { execute, arguments: args, id }) + "\n";
}

/** Splits a byte stream into lines, keeping the unfinished tail between chunks. */
export class LineSplitter {
  #tail = "";
  push(chunk: string): string[] {
    const parts = (this.#tail + chunk).split("\n");
    this.#tail = parts.pop() ?? "";
    return parts.map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
  }
}
