-- AlterEnum
ALTER TYPE "HostState" ADD VALUE 'unreachable';

-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "cpuBaseline" TEXT,
ADD COLUMN     "cpuModels" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "diskFreeBytes" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "maintenance" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "memoryFreeBytes" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "HostJoinToken" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdById" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "hostName" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "HostJoinToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "HostJoinToken_tokenHash_key" ON "HostJoinToken"("tokenHash");

-- AddForeignKey
ALTER TABLE "HostJoinToken" ADD CONSTRAINT "HostJoinToken_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
