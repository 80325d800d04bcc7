import { can, loadAccess } from "@guesthouse/api";
import { db, hosts } from "@/server/db.server";
import { sessionUser } from "@/server/request.server";

export const dynamic = "force-dynamic";

/**
 * Whether the console works: `{ status }`, 503 when the database is down. Which hosts exist and
 * how each is doing is for a signed-in host.admin only; anyone may ask whether the console is up.
 */
export async function GET(req: Request) {
  const database = await db().$queryRaw`SELECT 1`.then(
    () => "ok",
    () => "down",
  );
  const status = database === "ok" ? "ok" : "degraded";
  const code = database === "ok" ? 200 : 503;
  const user = database === "ok" ? await sessionUser(req.headers).catch(() => null) : null;
  if (!user || !can(await loadAccess(db(), user.id), "host.admin")) return Response.json({ status }, { status: code });
  const hostRows = await db()
    .host.findMany({ select: { id: true, name: true } })
    .catch(() => []);
  const hostStatus = await Promise.all(
    hostRows.map(async (h) => {
      const ok = await hosts()
        .forHost(h.id)
        .then((c) => c.host.info.query())
        .then(
          () => "ok",
          () => "down",
        );
      return [h.name, ok] as const;
    }),
  );
  return Response.json({ status, database, hosts: Object.fromEntries(hostStatus) }, { status: code });
}
