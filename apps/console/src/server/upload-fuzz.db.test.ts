// The upload route of the running console (started by `npm test` for this layer), signed in as the
// test stack's administrator, with hostile file names and hostile sizes: Content-Length missing,
// negative, not a number, past the cap, and bodies shorter or longer than announced (the short ones
// then abandoned). Every answer is a 201 or a 4xx, never a 5xx or a hang, and nothing is left in the
// media folder but the files the library lists.
import assert from "node:assert/strict";
import http from "node:http";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import superjson from "superjson";
import { HOSTILE_STRINGS } from "@guesthouse/api/zod-arbitrary.test-support";

const consoleUrl = process.env.CONSOLE_URL ?? "";
const mediaDir = path.join(process.env.GUESTHOUSE_DATA ?? "", "media");
const CASES = 150;

const name = fc.oneof(
  fc.constantFrom(
    ...HOSTILE_STRINGS.map((s) => `${s}.iso`),
    ...HOSTILE_STRINGS,
    "a.iso/../../x.iso",
    ".hidden.iso",
    "-x.iso",
    "x.ISO",
    "x.iso\n",
  ),
  fc.stringMatching(/^[a-z][a-z0-9._-]{0,20}\.(iso|img|raw)$/),
  fc.string({ maxLength: 40 }),
);

type Size = { header: string | undefined; body: number; abandon: boolean };
const size: fc.Arbitrary<Size> = fc.oneof(
  fc.nat(4096).map((n) => ({ header: String(n), body: n, abandon: false })),
  fc
    .constantFrom(undefined, "-1", "0", "abc", "1e3", "0x10", "99999999999999999999", " 12", "12, 12")
    .map((header) => ({ header, body: 12, abandon: false })),
  fc.constant({ header: String(1 << 40), body: 16, abandon: true }),
  fc.nat(4096).map((n) => ({ header: String(n + 64), body: n, abandon: true })),
);

let cookie = "";
let seq = 0;
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * One upload by hand (fetch would fix up Content-Length); resolves to the status, "abandoned", or
 * "header-limit" (a request line past Node's limit, answered 431 and reset before we read it).
 */
function upload(fileName: string, s: Size): Promise<number | "abandoned" | "header-limit"> {
  // URLSearchParams, not encodeURIComponent: a lone surrogate must reach the server (as U+FFFD), not throw here.
  const url = new URL(`/api/media/upload?${new URLSearchParams({ name: fileName }).toString()}`, consoleUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { cookie, origin: consoleUrl };
    if (s.header !== undefined) headers["content-length"] = s.header;
    const req = http.request(url, { method: "POST", headers });
    const timer = setTimeout(
      () => {
        if (!s.abandon) return reject(new Error(`no answer within 15 s to ${JSON.stringify({ fileName, s })}`));
        req.destroy();
        resolve("abandoned");
      },
      s.abandon ? 300 : 15_000,
    );
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => (clearTimeout(timer), resolve(res.statusCode ?? 0)));
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      if (s.abandon || s.header !== String(s.body)) return resolve("abandoned");
      // Past Node's header limit (16 KiB, the request line included) the server answers 431 and
      // closes at once: a client still writing its body may see the reset before the answer.
      if (url.href.length > MAX_HEADER_BYTES && (error as NodeJS.ErrnoException).code === "ECONNRESET") return resolve("header-limit");
      reject(error);
    });
    req.write(Buffer.alloc(s.body, 0x40 + (seq++ % 26)));
    if (!s.abandon) req.end();
  });
}

async function trpc(pathName: string, input: unknown, method: "GET" | "POST") {
  const data = encodeURIComponent(JSON.stringify(superjson.serialize(input)));
  const response = await fetch(`${consoleUrl}/api/trpc/${pathName}${method === "GET" ? `?input=${data}` : ""}`, {
    method,
    headers: { "content-type": "application/json", origin: consoleUrl, cookie },
    ...(method === "POST" ? { body: JSON.stringify(superjson.serialize(input)) } : {}),
  });
  return response;
}

/** Files in the media folder a settled upload left (the host's partial files while one is still closing are waited out). */
async function settledFiles(): Promise<string[]> {
  for (let i = 0; ; i++) {
    const names = await readdir(mediaDir).catch(() => [] as string[]);
    if (!names.some((n) => n.startsWith(".partial-")) || i > 200) return names.sort();
    await new Promise((r) => setTimeout(r, 25));
  }
}

const existing = new Set<string>();
const created = new Set<string>();
async function library(): Promise<{ id: string; name: string }[]> {
  const body = (await (await trpc("media.list", undefined, "GET")).json()) as {
    result: { data: { json: { id: string; name: string }[] } };
  };
  return body.result.data.json;
}

describe("the upload route with hostile names and sizes", () => {
  before(async () => {
    assert.ok(consoleUrl, "CONSOLE_URL names the console npm test started");
    const response = await trpc("auth.login", { email: "admin@test.local", password: "test-admin-password-1" }, "POST");
    assert.equal(response.status, 200, await response.clone().text());
    cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
    for (const m of await library()) existing.add(m.name);
  });
  // The stack's library is shared with the e2e layer that runs next: what this test added goes.
  after(async () => {
    for (const m of await library()) if (!existing.has(m.name)) await trpc("media.delete", { mediaId: m.id }, "POST");
  });

  test(`${CASES} uploads: a 201 or a 4xx each, and no file outside the library`, async () => {
    const statuses: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(name, size, async (fileName, s) => {
        const status = await upload(fileName, s);
        statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
        if (status === 201) created.add(fileName);
        if (typeof status === "number")
          assert.ok(status === 201 || (status >= 400 && status < 500), `${status} for ${JSON.stringify({ fileName, s })}`);
      }),
      { numRuns: CASES, endOnFailure: true },
    );
    // The library also lists the demo images, which live elsewhere: every file here is listed, every 201 is here.
    const listed = new Set((await library()).map((m) => m.name));
    const files = await settledFiles();
    assert.deepEqual(
      files.filter((f) => !listed.has(f)),
      [],
      `files in the media folder the library does not list (partial or orphaned); statuses ${JSON.stringify(statuses)}`,
    );
    assert.deepEqual(
      [...created].filter((f) => !files.includes(f)),
      [],
      "every upload answered 201 is in the folder",
    );
    assert.ok((statuses["201"] ?? 0) > 0 && (statuses["400"] ?? 0) > 0, `both kinds of answer were reached: ${JSON.stringify(statuses)}`);
  });
});
