// Container start (docker-compose.yml): prepare the database named by DATABASE_URL, then exit.
import { prepareDatabase } from "./stack/prepare-db.ts";

const url = process.env.DATABASE_URL;
const hostToken = process.env.HOST_TOKEN;
if (!url || !hostToken) {
  console.error("DATABASE_URL and HOST_TOKEN must be set.");
  process.exit(1);
}
const prepared = await prepareDatabase(url, {
  hostUrl: process.env.HOST_URL ?? "http://host:3001",
  hostToken,
  adminEmail: process.env.ADMIN_EMAIL,
  adminPassword: process.env.ADMIN_PASSWORD,
  log: console.log,
});
if (prepared.admin) console.log(`First administrator: ${prepared.admin.email}`);
await prepared.db.$disconnect();
