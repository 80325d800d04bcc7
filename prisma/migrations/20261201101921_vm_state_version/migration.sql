-- AlterTable
ALTER TABLE "Vm" ADD COLUMN     "stateVersion" BIGINT NOT NULL DEFAULT 0;
