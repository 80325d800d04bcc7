// The one request a joining host makes to the console (join.ts). Without a pin it is a plain fetch:
// http, or https verified against the system's CAs. With a pin (the console certificate's SHA-256
// from the Hosts page) the console's certificate is trusted only if it is exactly that one, which
// is how a console with a self-signed certificate is joined without sending the token in clear:
// the certificate is read first (nothing is sent), checked against the pin, and the request then
// goes out on a connection verified against that certificate and the pin again.
import { X509Certificate } from "node:crypto";
import https from "node:https";
import { isIP } from "node:net";
import tls from "node:tls";

const TIMEOUT_MS = 15_000;

export async function postJson(url: string, body: unknown, pin?: string): Promise<{ status: number; body: unknown }> {
  if (!pin) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  }
  const target = new URL(url);
  const cert = await peerCertificate(target);
  const seen = cert.fingerprint256.replaceAll(":", "").toLowerCase();
  if (seen !== pin)
    throw new Error(
      `the console's certificate (SHA-256 ${cert.fingerprint256}) is not the one the join value names: nothing was sent; copy the join command from the console's Hosts page again`,
    );
  return pinnedPost(target, JSON.stringify(body), cert.toString(), pin);
}

/** The certificate the server presents, read without trusting it and without sending anything. */
function peerCertificate(target: URL): Promise<X509Certificate> {
  return new Promise((ok, fail) => {
    const socket = tls.connect({
      host: target.hostname,
      port: Number(target.port || 443),
      servername: isIP(target.hostname) ? undefined : target.hostname,
      rejectUnauthorized: false,
      timeout: TIMEOUT_MS,
    });
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      if (raw) ok(new X509Certificate(raw));
      else fail(new Error("the console presented no certificate"));
    });
    socket.once("timeout", () => socket.destroy(new Error("timed out reading the console's certificate")));
    socket.once("error", fail);
  });
}

function pinnedPost(target: URL, payload: string, certPem: string, pin: string): Promise<{ status: number; body: unknown }> {
  return new Promise((ok, fail) => {
    const request = https.request(
      {
        host: target.hostname,
        port: Number(target.port || 443),
        path: `${target.pathname}${target.search}`,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        ca: [certPem],
        // The pin stands in for the name check: a self-signed certificate may not name this address.
        checkServerIdentity: (_host, peer) =>
          peer.fingerprint256.replaceAll(":", "").toLowerCase() === pin ? undefined : new Error("the console's certificate changed"),
        timeout: TIMEOUT_MS,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            parsed = null;
          }
          ok({ status: response.statusCode ?? 0, body: parsed });
        });
        response.on("error", fail);
      },
    );
    request.once("timeout", () => request.destroy(new Error("the console did not answer in time")));
    request.once("error", fail);
    request.end(payload);
  });
}
