// Every console procedure, taken from the router (a new one is fuzzed without touching this file),
// gets 100 generated inputs as an administrator against the real host service of the test stack:
// each answer is a success or a 4xx, never a 500, never a hang. bench/fuzz-api.ts runs 2,000 a procedure.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase, type TestDatabase } from "@guesthouse/db/testing";
import { seedBuiltInRoles } from "@guesthouse/db";
import { createHostGateway } from "./host-gateway.ts";
import { consoleProcedures, fuzzProcedure } from "./procedure-fuzz.test-support.ts";

const CASES = 100;
const procedures = consoleProcedures();

describe("fuzzing every console procedure's input", () => {
  let t: TestDatabase;
  let hostId: string;
  before(async () => {
    t = await createTestDatabase();
    await seedBuiltInRoles(t.db);
    hostId = (await t.db.host.create({ data: { name: "local", url: process.env.HOST_URL ?? "http://127.0.0.1:9", tokenHash: "-" } })).id;
  });
  after(async () => t.drop());

  test("the walk covers the whole router", () => {
    assert.ok(procedures.length >= 60, `${procedures.length} procedures`);
  });

  for (const { path, inputs } of procedures)
    test(`${path}: ${CASES} generated inputs, each answered with success or a 4xx within 10 s`, async () => {
      const report = await fuzzProcedure(path, inputs, {
        db: t.db,
        hosts: createHostGateway(t.db, process.env.HOST_TOKEN ?? "-"),
        hostId,
        casesPerProcedure: CASES,
        callTimeoutMs: 10_000,
      });
      assert.equal(
        report.failure,
        undefined,
        `${path} answered ${report.failure?.answer} to ${JSON.stringify(report.failure?.input)?.slice(0, 500)}`,
      );
      assert.equal(report.cases, CASES);
    });
});
