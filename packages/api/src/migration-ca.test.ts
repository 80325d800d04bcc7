// The console's migration CA: made once (key 0600 in a 0700 folder), and each leaf it issues is
// signed by it, names the address it was issued for, and is a fresh key.
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { issueMigrationCert, migrationCa, sanOf } from "./migration-ca.ts";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test("the CA is made once, its key the console's alone, and leaves are signed by it for the address named", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "gh-ca-"));
  dirs.push(dataDir);
  const [a, b] = await Promise.all([migrationCa(dataDir), migrationCa(dataDir)]);
  assert.equal(a.cert, b.cert, "two moves at once share one CA");
  assert.equal((await stat(a.keyPath)).mode & 0o777, 0o600);
  assert.equal((await stat(join(dataDir, "migration-ca"))).mode & 0o777, 0o700);

  const server = await issueMigrationCert(dataDir, { cn: "dst", names: [sanOf("10.78.0.2")] });
  const client = await issueMigrationCert(dataDir, { cn: "src.example", names: [sanOf("src.example")] });
  const ca = new X509Certificate(a.cert);
  const leaf = new X509Certificate(server.cert);
  assert.ok(leaf.verify(ca.publicKey), "signed by the console's CA");
  assert.ok(leaf.checkIssued(ca));
  assert.equal(leaf.checkIP("10.78.0.2"), "10.78.0.2");
  assert.equal(leaf.checkIP("10.78.0.3"), undefined, "and for no other address");
  assert.equal(new X509Certificate(client.cert).checkHost("src.example"), "src.example");
  assert.ok(leaf.checkPrivateKey(createPrivateKey(server.key)));
  assert.notEqual(server.key, client.key, "a fresh key per certificate");
  assert.equal(server.caCert, await readFile(a.certPath, "utf8"));
});
