/** docs/bridge-protocol.md's request table is the one generated from the message schemas. */
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BEGIN, END, PROTOCOL_DOC, requestTable } from "../../scripts/gen-protocol-docs.ts";
import { Request } from "../../firmware-bridge/protocol/messages.ts";

test("the protocol doc lists every request type with its fields and effect, as generated (npm run protocol:docs -- --write)", () => {
  const doc = readFileSync(PROTOCOL_DOC, "utf8");
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  assert.ok(a >= 0 && b > a, "the doc has the protocol-requests markers");
  assert.fixture(doc.slice(a + BEGIN.length, b).trim(), requestTable().trim());
  for (const o of Request.options) assert.ok(o.description && o.description.length > 5, `${o.shape.type.value} has an effect`);
});

test.run();
