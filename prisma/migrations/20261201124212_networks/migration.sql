-- CreateEnum
CREATE TYPE "NetworkKind" AS ENUM ('nat', 'isolated', 'bridged', 'user');

-- CreateTable
CREATE TABLE "Network" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "hostId" TEXT NOT NULL,
    "kind" "NetworkKind" NOT NULL,
    "bridge" TEXT,
    "subnet" TEXT,
    "isDefault" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Network_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Nic" (
    "id" TEXT NOT NULL,
    "vmId" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "networkId" TEXT NOT NULL,
    "mac" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "linkUp" BOOLEAN NOT NULL DEFAULT true,
    "vlan" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Nic_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PortForward" (
    "id" TEXT NOT NULL,
    "networkId" TEXT NOT NULL,
    "nicId" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "hostPort" INTEGER NOT NULL,
    "guestPort" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PortForward_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Network_name_key" ON "Network"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Network_hostId_bridge_key" ON "Network"("hostId", "bridge");

-- CreateIndex
CREATE UNIQUE INDEX "Nic_mac_key" ON "Nic"("mac");

-- CreateIndex
CREATE INDEX "Nic_networkId_idx" ON "Nic"("networkId");

-- CreateIndex
CREATE UNIQUE INDEX "Nic_vmId_slot_key" ON "Nic"("vmId", "slot");

-- CreateIndex
CREATE INDEX "PortForward_nicId_idx" ON "PortForward"("nicId");

-- CreateIndex
CREATE UNIQUE INDEX "PortForward_networkId_protocol_hostPort_key" ON "PortForward"("networkId", "protocol", "hostPort");

-- AddForeignKey
ALTER TABLE "Network" ADD CONSTRAINT "Network_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Nic" ADD CONSTRAINT "Nic_vmId_fkey" FOREIGN KEY ("vmId") REFERENCES "Vm"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Nic" ADD CONSTRAINT "Nic_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "Network"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PortForward" ADD CONSTRAINT "PortForward_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "Network"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PortForward" ADD CONSTRAINT "PortForward_nicId_fkey" FOREIGN KEY ("nicId") REFERENCES "Nic"("id") ON DELETE CASCADE ON UPDATE CASCADE;
