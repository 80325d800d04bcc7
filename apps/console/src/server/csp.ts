// The console's Content-Security-Policy, as one function so the proxy and its test agree.

/** A Host header fit to appear in the policy (anything else falls back to 'self' only). */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

export function contentSecurityPolicy(opts: { nonce: string; host: string | null; dev: boolean }): string {
  // noVNC's WebSocket goes to this same origin; older browsers do not count ws:/wss: as 'self'.
  const sockets = opts.host && HOST.test(opts.host) ? ` ws://${opts.host} wss://${opts.host}` : "";
  return [
    "default-src 'self'",
    // React's development build evaluates code; production never does.
    `script-src 'self' 'nonce-${opts.nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ""}`,
    // xterm.js and React write style elements and attributes at run time.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
