// Runtime API for the console. Set-up tools live in subpaths: "@guesthouse/db/migrations",
// "@guesthouse/db/embedded-postgres" (kept out of here so the console bundle never pulls them in).
export { createDb, type Db } from "./client.ts";
export { hashPassword, verifyPassword, dummyHash, generatePassword } from "./password.ts";
export { seedBuiltInRoles, ensureLocalHost, ensureFirstAdmin, sha256, type FirstAdmin } from "./seed.ts";
export * from "./generated/client.ts";
