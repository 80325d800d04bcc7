-- AlterTable
ALTER TABLE "Vm" ADD COLUMN     "cpuModel" TEXT;
