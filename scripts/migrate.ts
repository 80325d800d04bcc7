// Container start (docker-compose.yml): prepare the database named by DATABASE_URL, then exit.
import { PasswordSchema } from "@guesthouse/shared/console-api";
import { prepareDatabase } from "./stack/prepare-db.ts";

const url = process.env.DATABASE_URL;
const hostToken = process.env.HOST_TOKEN;
if (!url || !hostToken) {
  console.error("DATABASE_URL and HOST_TOKEN must be set.");
  process.exit(1);
}
// Checked before anything is touched: a first administrator with a short password is never made.
const adminPassword = process.env.ADMIN_PASSWORD;
const problem = adminPassword === undefined ? undefined : PasswordSchema.safeParse(adminPassword).error?.issues[0]?.message;
if (problem) {
  console.error(`ADMIN_PASSWORD is not acceptable: ${problem} (the first administrator's password follows the same rule as every other)`);
  process.exit(1);
}
const prepared = await prepareDatabase(url, {
  hostUrl: process.env.HOST_URL ?? "http://host:3001",
  hostToken,
  adminEmail: process.env.ADMIN_EMAIL,
  adminPassword,
  log: console.log,
});
if (prepared.admin) console.log(`First administrator: ${prepared.admin.email}`);
await prepared.db.$disconnect();
