import assert from "node:assert/strict";
import { test } from "node:test";
import { withByteProgress } from "./upload-progress.server.ts";

test("an upload's percent follows the bytes relayed, rising from 5 to 90, and the bytes pass through unchanged", async () => {
  const chunks = [...Array(4).keys()].map((i) => new Uint8Array(256).fill(i));
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      // A slow sender: each chunk a little after the last, so each may be measured.
      await new Promise((r) => setTimeout(r, 260));
      if (i < chunks.length) c.enqueue(chunks[i++]!);
      else c.close();
    },
  });
  const seen: number[] = [];
  const out = withByteProgress(body, 1024, { measure: async (p) => void seen.push(p) });
  const got = Buffer.from(await new Response(out).arrayBuffer());
  assert.deepEqual(got, Buffer.concat(chunks));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, [26, 47, 68, 90]);
});
