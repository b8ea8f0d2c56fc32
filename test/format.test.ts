/** The code is formatted by prettier (.prettierrc.json: print width 160); `npm run format` fixes it. */
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";

test("prettier --check finds nothing to reformat", () => {
  const r = spawnSync(process.execPath, ["node_modules/prettier/bin/prettier.cjs", "--check", "."], { encoding: "utf8", timeout: 120_000 });
  assert.is(r.status, 0, `run 'npm run format':\n${r.stdout}${r.stderr}`);
});

test.run();
