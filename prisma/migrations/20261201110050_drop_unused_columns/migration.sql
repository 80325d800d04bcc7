-- DropForeignKey
ALTER TABLE "Template" DROP CONSTRAINT "Template_sourceVmId_fkey";

-- DropIndex
DROP INDEX "Template_sourceVmId_key";

-- AlterTable
ALTER TABLE "Disk" DROP COLUMN "undoPath";

-- AlterTable
ALTER TABLE "Template" DROP COLUMN "diskPath",
DROP COLUMN "sourceVmId",
DROP COLUMN "statePath";
