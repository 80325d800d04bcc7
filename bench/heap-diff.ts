// What grew between two V8 heap snapshots of one process, by object kind (type and constructor):
// the tool that found the console's soak leak (bench/README.md, soak.ts). Take the snapshots with
// `NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2` on the process and `kill -USR2 <pid>` twice, minutes apart.
//   node --max-old-space-size=6000 --import tsx bench/heap-diff.ts A.heapsnapshot B.heapsnapshot   # HEAP_DIFF_ROWS=N (30)
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

const ROWS = Number(process.env.HEAP_DIFF_ROWS ?? 30);
const STRINGS = new Set(["string", "concatenated string", "sliced string"]);

function byKind(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [width, type, name, size] = [fields.length, fields.indexOf("type"), fields.indexOf("name"), fields.indexOf("self_size")];
  const kinds = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const t = types[snap.nodes[i + type]!]!;
    const n = STRINGS.has(t) ? "(string)" : t === "code" ? "(code)" : snap.strings[snap.nodes[i + name]!]!.slice(0, 80);
    const kind = kinds.get(`${t}:${n}`) ?? { count: 0, bytes: 0 };
    kind.count++;
    kind.bytes += snap.nodes[i + size]!;
    kinds.set(`${t}:${n}`, kind);
  }
  return kinds;
}

const [first, second] = process.argv.slice(2);
if (!first || !second) throw new Error("usage: heap-diff.ts A.heapsnapshot B.heapsnapshot");
const [a, b] = [byKind(first), byKind(second)];
const rows = [...b].map(([kind, now]) => {
  const was = a.get(kind) ?? { count: 0, bytes: 0 };
  return { kind, bytes: now.bytes - was.bytes, count: now.count - was.count, total: now.count };
});
console.log("   +bytes   +count    count  kind");
for (const r of rows.sort((x, y) => y.bytes - x.bytes).slice(0, ROWS))
  console.log(`${String(r.bytes).padStart(9)} ${String(r.count).padStart(8)} ${String(r.total).padStart(8)}  ${r.kind}`);
