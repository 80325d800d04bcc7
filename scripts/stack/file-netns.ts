// Preloaded (--import) into each integration test file's own process. The runner runs two files
// at a time, and a host service treats the bridges, taps and nftables tables of the namespace it
// works in as its own: two of them in one namespace would clear each other's away. So each file
// gets a namespace of its own under the run's (GUESTHOUSE_NETNS), deleted, with what still runs in
// it, when the file's process exits; the runner sweeps any that a killed process left
// (removeFileNetns in test-netns.ts).
import { execFileSync } from "node:child_process";
import { deleteNetns } from "../../apps/host/src/net/test-netns.test-support.ts";

const base = process.env.GUESTHOUSE_NETNS;
if (process.env.NODE_TEST_CONTEXT && base && process.getuid?.() === 0) {
  const name = `${base}-f${process.pid}`;
  execFileSync("ip", ["netns", "add", name]);
  execFileSync("ip", ["-n", name, "link", "set", "lo", "up"]);
  process.env.GUESTHOUSE_NETNS = name;
  process.once("exit", () => deleteNetns(name));
}
