import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter, createContextInner } from "@guesthouse/api";
import { db, hosts } from "@/server/db.server";
import { clientIp, secureCookies, sessionUser } from "@/server/request.server";

export const dynamic = "force-dynamic";

// CSRF: browsers always send Origin on cross-site POSTs; a mutation from another origin is refused
// before it reaches a procedure (the session cookie is also SameSite=Lax).
function crossSite(req: Request): boolean {
  if (req.method === "GET") return false;
  const origin = req.headers.get("origin");
  return (
    origin !== null &&
    origin !== new URL(req.url).origin &&
    origin !== `http://${req.headers.get("host")}` &&
    origin !== `https://${req.headers.get("host")}`
  );
}

async function handler(req: Request) {
  if (crossSite(req)) return new Response(JSON.stringify({ error: "cross-site request refused" }), { status: 403 });
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async ({ resHeaders }) =>
      createContextInner({
        db: db(),
        hosts: hosts(),
        user: await sessionUser(req.headers.get("cookie")),
        ip: clientIp(req.headers, req.headers.get("x-gh-remote-address") ?? ""),
        resHeaders,
        secureCookies: secureCookies(new URL(req.url)),
      }),
  });
}

export { handler as GET, handler as POST };
