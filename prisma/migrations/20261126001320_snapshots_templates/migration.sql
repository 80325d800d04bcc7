-- AlterTable
ALTER TABLE "Snapshot" ADD COLUMN     "tag" TEXT NOT NULL;

-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "onHost" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "withRam" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE UNIQUE INDEX "Snapshot_vmId_tag_key" ON "Snapshot"("vmId", "tag");
