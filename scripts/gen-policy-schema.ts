/**
 * Writes config/policy.schema.json, the fleet policy as JSON Schema, generated from
 * agent/policy/schema.ts (zod stays the one source of truth; a test keeps the file equal).
 * Operators' editors and CI can validate a policy.json with it before `spa policy sign`.
 * Usage: npm run policy:schema [-- --write]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { PolicySchema } from "../agent/policy/schema.ts";

export const POLICY_SCHEMA_FILE = "config/policy.schema.json";

export function policyJsonSchema(): string {
  const schema = z.toJSONSchema(PolicySchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return (
    JSON.stringify(
      {
        ...schema,
        title: "speaker-privacy-agent fleet policy",
        description:
          "What an operator may set for a fleet or a device (signed with 'spa policy sign'). Generated from agent/policy/schema.ts by npm run policy:schema -- --write.",
      },
      null,
      2,
    ) + "\n"
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = policyJsonSchema();
  if (process.argv.includes("--write")) writeFileSync(POLICY_SCHEMA_FILE, text);
  else if (readFileSync(POLICY_SCHEMA_FILE, "utf8") !== text) {
    process.stderr.write(`${POLICY_SCHEMA_FILE} is out of date: npm run policy:schema -- --write\n`);
    process.exit(1);
  } else process.stdout.write(text);
}
