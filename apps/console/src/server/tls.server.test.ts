// The console's certificate: made once and reused; the operator's pair checked, each fault one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadTls, TlsConfigError } from "./tls.server.ts";

const tempDir = () => mkdtemp(path.join(tmpdir(), "gh-tls-"));

test("without TLS_CERT/TLS_KEY a self-signed pair is made once into <data>/tls, key 0600, and reused", async () => {
  const data = await tempDir();
  const first = await loadTls({ dataDir: data });
  assert.equal(first.selfSigned, true);
  assert.equal(first.keyPath, path.join(data, "tls", "key.pem"));
  assert.equal((await stat(first.keyPath)).mode & 0o777, 0o600);
  const san = new X509Certificate(first.cert).subjectAltName ?? "";
  assert.match(san, /DNS:localhost/);
  assert.match(san, /IP Address:127\.0\.0\.1/);
  assert.match(first.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const again = await loadTls({ dataDir: data });
  assert.equal(again.fingerprint256, first.fingerprint256, "a restart keeps the certificate browsers were told to trust");
});

async function operatorPair() {
  const a = await loadTls({ dataDir: await tempDir() });
  const b = await loadTls({ dataDir: await tempDir() });
  return { a, b };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TlsConfigError, String(error));
  assert.doesNotMatch(error.message, /\n/);
  return error.message;
}

test("the operator's pair is used as given", async () => {
  const { a } = await operatorPair();
  const t = await loadTls({ certPath: a.certPath, keyPath: a.keyPath, dataDir: "/nonexistent" });
  assert.equal(t.selfSigned, false);
  assert.equal(t.fingerprint256, a.fingerprint256);
});

test("a key that does not belong to the certificate is named, with what to give instead", async () => {
  const { a, b } = await operatorPair();
  const message = await refusal(loadTls({ certPath: a.certPath, keyPath: b.keyPath, dataDir: "/nonexistent" }));
  assert.equal(
    message,
    `TLS_KEY ${b.keyPath} does not belong to the certificate ${a.certPath}: give the key the certificate was issued for.`,
  );
});

test("a missing file, a file that is no certificate, and only one of the two variables are each refused", async () => {
  const { a } = await operatorPair();
  assert.match(
    await refusal(loadTls({ certPath: "/nope/cert.pem", keyPath: a.keyPath, dataDir: "." })),
    /^TLS_CERT \/nope\/cert\.pem does not exist: /,
  );
  const junk = path.join(await tempDir(), "junk.pem");
  await writeFile(junk, "hello");
  assert.match(await refusal(loadTls({ certPath: junk, keyPath: a.keyPath, dataDir: "." })), /is not a PEM certificate/);
  assert.match(await refusal(loadTls({ certPath: a.certPath, keyPath: junk, dataDir: "." })), /is not an unencrypted PEM private key/);
  assert.match(await refusal(loadTls({ certPath: a.certPath, dataDir: "." })), /^TLS_CERT is set but TLS_KEY is not: set both/);
});
