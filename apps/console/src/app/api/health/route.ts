import { db, hosts } from "@/server/db.server";

export const dynamic = "force-dynamic";

/** DB and host-service status as JSON; 503 when the database is down. */
export async function GET() {
  const database = await db().$queryRaw`SELECT 1`.then(
    () => "ok",
    () => "down",
  );
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
  const body = { status: database === "ok" ? "ok" : "degraded", database, hosts: Object.fromEntries(hostStatus) };
  return Response.json(body, { status: database === "ok" ? 200 : 503 });
}
