-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "bootId" TEXT;

-- AlterTable
ALTER TABLE "Vm" DROP COLUMN "desiredState",
ADD COLUMN     "autostart" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "startOrder" INTEGER NOT NULL DEFAULT 0;
