import { test } from "node:test";
import assert from "node:assert/strict";
import { CLIPBOARD_MAX_BYTES, clipboardRefusal } from "./clipboard-cap.ts";

test("clipboard text up to the cap goes, over it is refused with its size and the cap, counted in UTF-8 bytes", () => {
  assert.equal(clipboardRefusal("a".repeat(CLIPBOARD_MAX_BYTES)), null);
  assert.equal(
    clipboardRefusal("a".repeat(CLIPBOARD_MAX_BYTES + 1)),
    "That text is 257 KiB; the guest's clipboard takes at most 256 KiB at a time.",
  );
  // Three bytes each in UTF-8: fewer characters than the cap, more bytes.
  assert.match(clipboardRefusal("✓".repeat(CLIPBOARD_MAX_BYTES / 2)) ?? "", /^That text is 384 KiB/);
});
