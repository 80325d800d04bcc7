-- AlterTable
ALTER TABLE "HostJoinToken" ADD COLUMN     "revokedAt" TIMESTAMP(3);
