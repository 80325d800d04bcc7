// Who is watching which VM right now; lets an admin see and disconnect viewers.
import { randomUUID } from "node:crypto";
import type { DisplayMode } from "./tickets.ts";

export interface Viewer {
  id: string;
  vmId: string;
  userId: string;
  userEmail: string;
  mode: DisplayMode;
  since: number;
  disconnect(reason: string): void;
}

class ViewerRegistry {
  private viewers = new Map<string, Viewer>();
  add(v: Omit<Viewer, "id" | "since">): Viewer {
    const viewer = { ...v, id: randomUUID(), since: Date.now() };
    this.viewers.set(viewer.id, viewer);
    return viewer;
  }
  remove(id: string) {
    this.viewers.delete(id);
  }
  forVm(vmId: string) {
    return [...this.viewers.values()].filter((v) => v.vmId === vmId).map(({ disconnect: _d, ...rest }) => rest);
  }
  get(id: string) {
    return this.viewers.get(id);
  }
  /** The viewer holding control of a VM's console, if any: there is at most one. */
  controller(vmId: string): Viewer | undefined {
    return [...this.viewers.values()].find((v) => v.vmId === vmId && v.mode === "control");
  }
  count(vmId: string) {
    return this.forVm(vmId).length;
  }
}

const store = globalThis as unknown as { __ghViewers?: ViewerRegistry };
export const displayViewers = (store.__ghViewers ??= new ViewerRegistry());
