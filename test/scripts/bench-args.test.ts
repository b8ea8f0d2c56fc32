/** `npm run bench` arguments: --help answers without running anything; mistakes are refused in one style. */
import { spawnSync } from "node:child_process";
import { suite } from "uvu";
import * as assert from "uvu/assert";

const bench = (...args: string[]) => spawnSync(process.execPath, ["scripts/bench/index.ts", ...args], { encoding: "utf8", timeout: 60_000 });
const B = suite("bench arguments");

B("--help and -h print the usage and run no benchmark", () => {
  for (const flag of ["--help", "-h"]) {
    const r = bench(flag);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: npm run bench -- \[cli\|mute\|/);
    assert.not.match(r.stdout, /machine:/, "nothing was measured");
  }
});

B("unknown sections, options and values: 'bench: …' and the usage on stderr, exit 1, nothing run", () => {
  for (const [args, said] of [
    [["nonsense", "cli"], "unknown section 'nonsense'"],
    [["--bogus"], "Unknown option '--bogus'"],
    [["wake", "--human-speaker", "4"], "--human-speaker must be 3 or 5"],
  ] as const) {
    const r = bench(...args);
    assert.is(r.status, 1, args.join(" "));
    assert.ok(r.stderr.startsWith(`bench: ${said}`), r.stderr);
    assert.match(r.stderr, /\nusage: npm run bench/);
    assert.is(r.stdout, "", "nothing was measured");
  }
});

B.run();
