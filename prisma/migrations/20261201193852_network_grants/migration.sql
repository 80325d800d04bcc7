-- AlterEnum
ALTER TYPE "GrantScope" ADD VALUE 'network';

-- AlterTable
ALTER TABLE "AccessGrant" ADD COLUMN     "networkId" TEXT;

-- CreateIndex
CREATE INDEX "AccessGrant_networkId_idx" ON "AccessGrant"("networkId");

-- AddForeignKey
ALTER TABLE "AccessGrant" ADD CONSTRAINT "AccessGrant_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "Network"("id") ON DELETE CASCADE ON UPDATE CASCADE;
