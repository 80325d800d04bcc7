// A VM made from a disk image in the library (a raw or qcow2 file uploaded on the Media page, or
// put in a host's media folder): which image, and the host it is on, since the copy is made there.
import { TRPCError } from "@trpc/server";
import type { Db } from "@guesthouse/db";

export async function imageToImport(db: Db, mediaId: string, hostId: string | undefined) {
  const media = await db.media.findUnique({
    where: { id: mediaId },
    select: { name: true, kind: true, path: true, hostId: true, host: { select: { name: true } } },
  });
  if (!media || media.kind !== "disk") {
    throw new TRPCError({ code: "BAD_REQUEST", message: "source.mediaId: that disk image is not in the library" });
  }
  if (hostId && hostId !== media.hostId) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `hostId: the disk image '${media.name}' is on host '${media.host.name}'; make the VM there, or leave the host to placement`,
    });
  }
  return { name: media.name, path: media.path, hostId: media.hostId };
}
