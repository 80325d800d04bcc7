-- AlterTable
ALTER TABLE "Vm" ADD COLUMN     "clipboard" BOOLEAN NOT NULL DEFAULT false;
