/** docs/bridge-protocol.md's request table is the one generated from the message schemas. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { requestTable, SECTION } from "../../scripts/gen-protocol-docs.ts";
import { readSection } from "../../scripts/doc-section.ts";
import { Request } from "../../firmware-bridge/protocol/messages.ts";

test("the protocol doc lists every request type with its fields and effect, as generated (npm run protocol:docs -- --write)", () => {
  assert.fixture(readSection(SECTION), requestTable().trim());
  for (const o of Request.options) assert.ok(o.description && o.description.length > 5, `${o.shape.type.value} has an effect`);
});

test.run();
