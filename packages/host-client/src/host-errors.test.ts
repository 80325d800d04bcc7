// What the console can know about a host call that failed: a refused connection never reached the
// host (so a move may be undone at the source), a connection that dropped half-way may have run.
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import { createHostClient, hostRefused, hostWentAway } from "./index.ts";

const TOKEN = "t".repeat(26);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail("the call should fail"),
    (e: unknown) => e,
  );

async function listening(onSocket: (s: Socket) => void) {
  const server = createServer(onSocket);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, port: (server.address() as { port: number }).port };
}

test("a host nothing listens for is refused: it went away, and the call never reached it", async () => {
  const { server, port } = await listening(() => undefined);
  await new Promise((ok) => server.close(ok));
  const error = await failure(createHostClient({ url: `http://127.0.0.1:${port}`, token: TOKEN }).host.info.query());
  assert.equal(hostWentAway(error), true);
  assert.equal(hostRefused(error), true);
});

test("a host that drops the connection mid-call went away, but was not refused", async () => {
  const { server, port } = await listening((s) => s.once("data", () => s.destroy()));
  try {
    const error = await failure(createHostClient({ url: `http://127.0.0.1:${port}`, token: TOKEN }).migration.finish.mutate({ id: "vm1" }));
    assert.equal(hostWentAway(error), true);
    assert.equal(hostRefused(error), false);
  } finally {
    await new Promise((ok) => server.close(ok));
  }
});

test("an answer of any kind, even an error, is neither", async () => {
  const { server, port } = await listening((s) =>
    s.once("data", () => s.end("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")),
  );
  try {
    const error = await failure(createHostClient({ url: `http://127.0.0.1:${port}`, token: TOKEN }).host.info.query());
    assert.equal(hostWentAway(error), false, String(error));
    assert.equal(hostRefused(error), false);
  } finally {
    await new Promise((ok) => server.close(ok));
  }
});
