/** dnsmasq's lease file: `<expiry> <mac> <ip> <hostname> <client-id>` per line. */
export interface Lease {
  mac: string;
  ip: string;
  hostname: string;
  expiresAt: number;
}

export function parseLeases(text: string): Lease[] {
  const out: Lease[] = [];
  for (const line of text.split("\n")) {
    const [expiry, mac, ip, hostname] = line.trim().split(/\s+/);
    if (!expiry || !mac || !ip || !/^\d+$/.test(expiry)) continue;
    out.push({ mac: mac.toLowerCase(), ip, hostname: hostname && hostname !== "*" ? hostname : "", expiresAt: Number(expiry) });
  }
  return out;
}
