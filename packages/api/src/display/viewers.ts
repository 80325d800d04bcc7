// Who is watching which VM right now; lets an admin see and disconnect viewers.
import { randomUUID } from "node:crypto";
import type { DisplayMode } from "./tickets.ts";
import { processWide } from "@guesthouse/shared/process-wide";

export interface Viewer {
  id: string;
  vmId: string;
  userId: string;
  userEmail: string;
  mode: DisplayMode;
  since: number;
  /** The share link this viewer came through, if it has no account. */
  shareLinkId?: string;
  disconnect(reason: string): void;
}

/** A viewer that must go at a given time (its share link's expiry), with the reason it is shown. */
export interface ViewerDeadline {
  at: number;
  reason: string;
}

class ViewerRegistry {
  private viewers = new Map<string, Viewer>();
  private deadlines = new Map<string, ReturnType<typeof setTimeout>>();
  add(v: Omit<Viewer, "id" | "since">, deadline?: ViewerDeadline): Viewer {
    const viewer = { ...v, id: randomUUID(), since: Date.now() };
    this.viewers.set(viewer.id, viewer);
    if (deadline) {
      const timer = setTimeout(() => this.viewers.get(viewer.id)?.disconnect(deadline.reason), Math.max(0, deadline.at - Date.now()));
      timer.unref?.();
      this.deadlines.set(viewer.id, timer);
    }
    return viewer;
  }
  remove(id: string) {
    this.viewers.delete(id);
    clearTimeout(this.deadlines.get(id));
    this.deadlines.delete(id);
  }
  forVm(vmId: string) {
    return [...this.viewers.values()].filter((v) => v.vmId === vmId).map(({ disconnect: _d, ...rest }) => rest);
  }
  /** Closes every viewer of one VM (it moved to another host: they reconnect there). */
  disconnectVm(vmId: string, reason: string): number {
    const of = [...this.viewers.values()].filter((v) => v.vmId === vmId);
    for (const v of of) v.disconnect(reason);
    return of.length;
  }
  /** Closes every viewer who came through one share link (it was revoked). */
  disconnectShare(linkId: string, reason: string): number {
    const through = [...this.viewers.values()].filter((v) => v.shareLinkId === linkId);
    for (const v of through) v.disconnect(reason);
    return through.length;
  }
  countShare(linkId: string): number {
    return [...this.viewers.values()].filter((v) => v.shareLinkId === linkId).length;
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

export const displayViewers = processWide("display-viewers", () => new ViewerRegistry());
