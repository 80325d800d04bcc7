// What `npm run up` prints about the services it supervises: one that dies on its own is named with
// its exit code or signal (before, it vanished without a word), and one stopped on purpose is not.
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { startService } from "./children.ts";

test("a service that exits unasked is reported with its code; one that is stopped is not", async () => {
  const lines: string[] = [];
  const dying = startService("console", [process.execPath, "-e", "console.log('starting'); process.exit(3)"], process.env, (l) =>
    lines.push(l),
  );
  await once(dying.child, "exit");
  await dying.stop();
  assert.deepEqual(lines, ["[console] starting", "[console] exited unasked (code 3); see its log above"]);

  const stopped: string[] = [];
  const waiting = startService("host", [process.execPath, "-e", "setInterval(() => {}, 1000)"], process.env, (l) => stopped.push(l));
  await waiting.stop();
  assert.deepEqual(stopped, []);
});
