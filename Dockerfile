# One image for the console and the host service (docker-compose.yml picks the command).
FROM node:20-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends qemu-system-x86 qemu-utils openssl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN node scripts/bootstrap.mjs && npm run build
