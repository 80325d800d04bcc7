// Every page gets a Content-Security-Policy with a fresh nonce (docs/decisions/0016-content-security-policy.md).
// Next reads the nonce from the request's policy header and puts it on its own inline and chunk
// scripts; pages are rendered per request (they read the session), so each gets its own nonce.
import { NextResponse, type NextRequest } from "next/server";
import { contentSecurityPolicy } from "./server/csp";

export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  // NODE_ENV is a build-time constant Next inlines, not configuration the env module validates.
  // eslint-disable-next-line no-restricted-properties
  const dev = process.env.NODE_ENV !== "production";
  const policy = contentSecurityPolicy({ nonce, host: request.headers.get("host"), dev });
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  // Pages only: API answers are JSON, and static files carry no scripts of their own.
  matcher: [
    {
      source: "/((?!api/|_next/static|_next/image|favicon.ico).*)",
      missing: [{ type: "header", key: "next-router-prefetch" }],
    },
  ],
};
