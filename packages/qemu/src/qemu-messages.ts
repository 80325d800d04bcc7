/** QEMU's stderr lines as a person should read them: no timestamps, program name or source paths. */
const TIMESTAMP = /^\d{4}-\d\d-\d\dT[\d:.]+Z\s+/;
const PROGRAM = /^(?:\S*\/)?qemu-system-[\w-]+:\s+/;
const SOURCE = /^(?:\.\.\/)*[\w./-]+\.c:\d+:\s+/;

export function cleanQemuLine(line: string): string {
  let out = line.trim().replace(TIMESTAMP, "").replace(PROGRAM, "");
  out = out.replace(SOURCE, "").replace(/^error:\s+/, "");
  return out.replace(/^-blockdev (\{.*?\}):\s*/, (_, json: string) => `${blockdevName(json)}: `);
}

/** `-blockdev {"node-name":"disk1",…}` → "disk 2": the drive as the VM's settings number it. */
function blockdevName(json: string): string {
  let node = "";
  try {
    node = String((JSON.parse(json) as { "node-name"?: string })["node-name"] ?? "");
  } catch {
    return "a drive";
  }
  const disk = /^(?:disk|f)(\d+)$/.exec(node);
  if (disk) return `disk ${Number(disk[1]) + 1}`;
  return node.startsWith("cdrom") ? "the CD-ROM" : "a drive";
}

/** The meaningful lines of a QEMU run's stderr, joined for one message. */
export function cleanQemuOutput(text: string, maxLines = 4): string {
  return text
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("{")) // QMP traffic on stdio
    .map(cleanQemuLine)
    .filter(Boolean)
    .slice(-maxLines)
    .join("; ");
}
