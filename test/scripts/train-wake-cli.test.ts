/** scripts/train-wake's command line: --help, and bad options refused before any work starts. */
import { spawnSync } from "node:child_process";
import { suite } from "uvu";
import * as assert from "uvu/assert";

const T = suite("train-wake command line");
const run = (...args: string[]) => spawnSync(process.execPath, ["scripts/train-wake/index.ts", ...args], { encoding: "utf8", timeout: 60_000 });

T("--help lists every option and exits 0 without loading anything", () => {
  const r = run("--help");
  assert.is(r.status, 0, r.stderr);
  for (const o of ["--out", "--seed", "--window", "--project", "--ensemble", "--random-voices", "--substitutions", "--threads"])
    assert.ok(r.stdout.includes(o), `help mentions ${o}`);
  assert.not.ok(r.stdout.includes("voices:"), "no training started");
});

T("a non-numeric or out-of-range value names the option and exits 1", () => {
  for (const [args, text] of [
    [["--window", "x"], "--window must be an integer >= 1"],
    [["--ensemble", "0"], "--ensemble must be an integer >= 1"],
    [["--dropout", "1.5"], "--dropout must be a number >= 0 and < 1"],
    [["--hidden", "2.5"], "--hidden must be an integer"],
  ] as const) {
    const r = run(...args);
    assert.is(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stderr.includes(text), r.stderr);
    assert.is(r.stdout, "", "nothing started");
  }
});

T("an unknown option is refused with the usage", () => {
  const r = run("--epoch", "3");
  assert.is(r.status, 1);
  assert.ok(r.stderr.includes("--epoch") && r.stderr.includes("Usage:"), r.stderr);
});

T.run();
