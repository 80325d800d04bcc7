export { createDb, type Db } from "./client.ts";
export { applyMigrations } from "./migrations.ts";
export { startEmbeddedPostgres, type EmbeddedDb } from "./embedded-postgres.ts";
export { hashPassword, verifyPassword, dummyHash, generatePassword } from "./password.ts";
export { seedBuiltInRoles, ensureLocalHost, ensureFirstAdmin, sha256, type FirstAdmin } from "./seed.ts";
export * from "./generated/client.ts";
