import assert from "node:assert/strict";
import { test } from "node:test";
import { formatJoinValue, parseJoinValue } from "./join-value.ts";

const SHA = "4F:1A:" + "00:".repeat(29) + "AB";

test("over https the join value pins the console's certificate, and reads back", () => {
  const value = formatJoinValue("https://console.example:3000", "ghj_abc", SHA);
  assert.equal(value, `https://console.example:3000#ghj_abc;sha256=4f1a${"00".repeat(29)}ab`);
  assert.deepEqual(parseJoinValue(value), {
    consoleUrl: "https://console.example:3000",
    token: "ghj_abc",
    pin: `4f1a${"00".repeat(29)}ab`,
  });
});

test("over http there is nothing to pin, and a pinned http value is refused", () => {
  assert.equal(formatJoinValue("http://10.0.0.1:3000/", "ghj_abc", SHA), "http://10.0.0.1:3000#ghj_abc");
  assert.throws(() => parseJoinValue(`http://10.0.0.1:3000#ghj_abc;sha256=${"ab".repeat(32)}`), /a certificate pin needs an https/);
});

test("a malformed value says what is wrong", () => {
  assert.throws(() => parseJoinValue("ghj_abc"), /must be <console-url>#<join-token>/);
  assert.throws(() => parseJoinValue("https://c#"), /must be <console-url>#<join-token>/);
  assert.throws(() => parseJoinValue("https://c#ghj_abc;sha256=12ab"), /'sha256=12ab' is not a certificate pin/);
  assert.throws(() => parseJoinValue("https://c#ghj_abc;pin=x"), /'pin=x' is not a certificate pin/);
});
