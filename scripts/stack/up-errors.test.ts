// `npm run up` on bad configuration: one clear line on stderr, a non-zero exit, no stack trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "./env.ts";
import { loadTls } from "../../apps/console/src/server/tls.server.ts";

function up(env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", path.join(repoRoot, "scripts/up.ts")],
      { cwd: repoRoot, env: { ...process.env, PORT: "3290", HOST_PORT: "3291", ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => resolve({ code: typeof error?.code === "number" ? error.code : 0, stderr }),
    );
  });
}

function assertOneClearLine(stderr: string, pattern: RegExp) {
  const lines = stderr
    .trim()
    .split("\n")
    .filter((l) => !/ExperimentalWarning|--trace-warnings/.test(l));
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
}

test("a DATABASE_URL that does not answer is named, with what to check", async () => {
  const data = await mkdtemp(path.join(tmpdir(), "gh-up-"));
  const r = await up({ GUESTHOUSE_DATA: data, DATABASE_URL: "postgresql://nobody:x@127.0.0.1:1/none", GUESTHOUSE_SKIP_IMAGES: "1" });
  assert.notEqual(r.code, 0);
  assertOneClearLine(r.stderr, /^Guesthouse could not start: Cannot use DATABASE_URL \(.+\): check the server is running/);
});

test("a malformed DATABASE_URL is refused before anything starts", async () => {
  const r = await up({ DATABASE_URL: "mysql://x" });
  assert.notEqual(r.code, 0);
  assertOneClearLine(r.stderr, /DATABASE_URL must start with postgresql:\/\//);
});

test("a data folder that cannot be written says so and how to fix it", async () => {
  // A path under a regular file can never be created, even by root.
  const dir = await mkdtemp(path.join(tmpdir(), "gh-up-"));
  await writeFile(path.join(dir, "a-file"), "");
  const data = path.join(dir, "a-file", "data");
  const r = await up({ GUESTHOUSE_DATA: data });
  assert.notEqual(r.code, 0);
  assertOneClearLine(r.stderr, new RegExp(`The data folder ${data} is not writable: fix its permissions or set GUESTHOUSE_DATA`));
});

test("a console port already in use is named with the variable that changes it", async () => {
  const blocker = net.createServer().listen(3290, "127.0.0.1");
  await new Promise((r) => blocker.once("listening", r));
  try {
    const data = await mkdtemp(path.join(tmpdir(), "gh-up-"));
    const r = await up({ GUESTHOUSE_DATA: data });
    assert.notEqual(r.code, 0);
    assertOneClearLine(r.stderr, /Port 3290 \(console\) is already in use: stop what uses it or set PORT to another port\./);
  } finally {
    blocker.close();
  }
});

test("a TLS_CERT that does not exist is named before anything starts", async () => {
  const data = await mkdtemp(path.join(tmpdir(), "gh-up-"));
  const key = (await loadTls({ dataDir: await mkdtemp(path.join(tmpdir(), "gh-up-tls-")) })).keyPath;
  const r = await up({ GUESTHOUSE_DATA: data, TLS_CERT: "/nonexistent/cert.pem", TLS_KEY: key });
  assert.notEqual(r.code, 0);
  assertOneClearLine(
    r.stderr,
    /^Guesthouse could not start: TLS_CERT \/nonexistent\/cert\.pem does not exist: point TLS_CERT at a readable PEM file, or unset TLS_CERT and TLS_KEY/,
  );
  assert.equal(existsSync(path.join(data, "postgres")), false, "the database was not started");
});

test("a TLS_CERT that cannot be read (a folder) says so", async () => {
  const data = await mkdtemp(path.join(tmpdir(), "gh-up-"));
  const r = await up({ GUESTHOUSE_DATA: data, TLS_CERT: data, TLS_KEY: data });
  assert.notEqual(r.code, 0);
  assertOneClearLine(r.stderr, new RegExp(`^Guesthouse could not start: TLS_CERT ${data} cannot be read \\(EISDIR\\): `));
});

test("a TLS_KEY that does not belong to TLS_CERT is refused with what to give instead", async () => {
  const data = await mkdtemp(path.join(tmpdir(), "gh-up-"));
  const a = await loadTls({ dataDir: await mkdtemp(path.join(tmpdir(), "gh-up-tls-")) });
  const b = await loadTls({ dataDir: await mkdtemp(path.join(tmpdir(), "gh-up-tls-")) });
  const r = await up({ GUESTHOUSE_DATA: data, TLS_CERT: a.certPath, TLS_KEY: b.keyPath });
  assert.notEqual(r.code, 0);
  assertOneClearLine(
    r.stderr,
    new RegExp(`^Guesthouse could not start: TLS_KEY ${b.keyPath} does not belong to the certificate ${a.certPath}: give the key`),
  );
  assert.equal(existsSync(path.join(data, "postgres")), false, "the database was not started");
});

test("TLS_CERT without TLS_KEY is refused", async () => {
  const data = await mkdtemp(path.join(tmpdir(), "gh-up-"));
  const r = await up({ GUESTHOUSE_DATA: data, TLS_CERT: "/etc/hostname" });
  assert.notEqual(r.code, 0);
  assertOneClearLine(r.stderr, /^Guesthouse could not start: TLS_CERT is set but TLS_KEY is not: set both/);
});

test("a PUBLIC_URL that is no URL is refused before anything starts", async () => {
  const r = await up({ PUBLIC_URL: "vms.example.org" });
  assert.notEqual(r.code, 0);
  assertOneClearLine(r.stderr, /PUBLIC_URL must be a URL such as https:\/\/vms\.example\.org/);
});
