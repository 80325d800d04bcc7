import assert from "node:assert/strict";
import { test } from "node:test";
import { commandFor, SETPRIV } from "./process.ts";

test("without a user QEMU is run as it is; with one, setpriv sets ids, groups and no capabilities, then execs QEMU", () => {
  assert.deepEqual(commandFor("qemu-system-x86_64", ["-S", "-name", "a b"]), { file: "qemu-system-x86_64", args: ["-S", "-name", "a b"] });
  const { file, args } = commandFor("qemu-system-x86_64", ["-S", "-name", "a b"], { uid: 995, gid: 995, groups: [995, 107] });
  assert.equal(file, SETPRIV);
  assert.deepEqual(args, [
    "--reuid=995",
    "--regid=995",
    "--groups=995,107",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--",
    "qemu-system-x86_64",
    "-S",
    "-name",
    "a b",
  ]);
  assert.ok(!args.includes("-runas"), "never QEMU's -runas: it dies under the sandbox");
});
