import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Shell } from "@/components/Shell";
import { sessionUser } from "@/server/request.server";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: ReactNode }) {
  const user = await sessionUser(await headers());
  if (!user) redirect("/login");
  return <Shell user={{ email: user.email, name: user.name }}>{children}</Shell>;
}
