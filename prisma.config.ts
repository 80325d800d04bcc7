// Used by the Prisma CLI (generate, and `prisma migrate deploy` on a machine with internet).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/guesthouse" },
});
