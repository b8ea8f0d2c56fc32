/** The fleet policy's JSON Schema and example, kept equal to the zod schema they come from. */
import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PolicySchema } from "../../../agent/policy/schema.ts";
import { POLICY_SCHEMA_FILE, policyJsonSchema } from "../../../scripts/gen-policy-schema.ts";

const P = suite("policy schema file");

P("config/policy.schema.json is what the zod schema generates (npm run policy:schema -- --write)", () => {
  assert.is(readFileSync(POLICY_SCHEMA_FILE, "utf8"), policyJsonSchema());
  const schema = JSON.parse(readFileSync(POLICY_SCHEMA_FILE, "utf8")) as { properties: Record<string, unknown>; additionalProperties: boolean };
  assert.equal(Object.keys(schema.properties).sort(), Object.keys(PolicySchema.shape).sort());
  assert.is(schema.additionalProperties, false, "unknown fields are refused, as by the agent");
});

P("config/policy.example.json is a valid policy", () => {
  const r = PolicySchema.safeParse(JSON.parse(readFileSync("config/policy.example.json", "utf8")));
  assert.ok(r.success, JSON.stringify(!r.success && r.error.issues));
});

P.run();
