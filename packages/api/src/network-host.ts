// A Network row → what its host realises (HostNetwork), or nothing for user-mode networks.
import type { HostNetwork } from "@guesthouse/shared/network";

export interface NetworkRow {
  id: string;
  kind: "nat" | "isolated" | "bridged" | "user";
  bridge: string | null;
  subnet: string | null;
}

export function hostNetworkOf(n: NetworkRow): HostNetwork | undefined {
  switch (n.kind) {
    case "nat":
      return { id: n.id, kind: "nat", bridge: n.bridge ?? "", subnet: n.subnet ?? "" };
    case "isolated":
      return { id: n.id, kind: "isolated", bridge: n.bridge ?? "", ...(n.subnet ? { subnet: n.subnet } : {}) };
    case "bridged":
      return { id: n.id, kind: "bridged", bridge: n.bridge ?? "" };
    case "user":
      return undefined;
  }
}
