"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useTRPC } from "@/trpc/react";
import { TasksPanel } from "./TasksPanel";

const NAV = [
  { href: "/", label: "Dashboard", needs: null },
  { href: "/vms", label: "Virtual machines", needs: null },
  { href: "/templates", label: "Templates", needs: "vm.create" },
  { href: "/media", label: "ISO library", needs: "media.upload" },
  { href: "/networks", label: "Networks", needs: "network.use" },
  { href: "/hosts", label: "Hosts", needs: "host.admin" },
  { href: "/users", label: "Users & access", needs: "user.admin" },
  { href: "/tasks", label: "Tasks", needs: null },
  { href: "/audit", label: "Audit log", needs: "audit.view" },
] as const;

export function Shell({ user, children }: { user: { email: string; name: string }; children: ReactNode }) {
  const trpc = useTRPC();
  const path = usePathname();
  const me = useQuery(trpc.auth.me.queryOptions());
  const logout = useMutation(trpc.auth.logout.mutationOptions({ onSettled: () => window.location.assign("/login") }));
  const perms = new Set(me.data?.permissions ?? []);
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Guesthouse</div>
        <ul>
          {NAV.filter((n) => !n.needs || perms.has(n.needs)).map((n) => (
            <li key={n.href}>
              <Link href={n.href} aria-current={(n.href === "/" ? path === "/" : path.startsWith(n.href)) ? "page" : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
        <div className="me">
          <span title={user.email}>{user.name || user.email}</span>
          <button type="button" onClick={() => logout.mutate()} disabled={logout.isPending}>
            Sign out
          </button>
        </div>
      </nav>
      <main className="content">
        {children}
        <TasksPanel />
      </main>
    </div>
  );
}
