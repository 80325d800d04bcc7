-- CreateTable
CREATE TABLE "SharePass" (
    "id" TEXT NOT NULL,
    "passHash" TEXT NOT NULL,
    "linkId" TEXT NOT NULL,
    "until" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SharePass_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SharePass_passHash_key" ON "SharePass"("passHash");

-- CreateIndex
CREATE INDEX "SharePass_linkId_idx" ON "SharePass"("linkId");

-- CreateIndex
CREATE INDEX "SharePass_until_idx" ON "SharePass"("until");

-- AddForeignKey
ALTER TABLE "SharePass" ADD CONSTRAINT "SharePass_linkId_fkey" FOREIGN KEY ("linkId") REFERENCES "ShareLink"("id") ON DELETE CASCADE ON UPDATE CASCADE;
