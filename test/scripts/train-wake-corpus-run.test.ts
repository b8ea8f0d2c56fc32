/**
 * A vendor's recordings in, a model and a report out: scripts/train-wake --corpus and
 * `npm run bench -- wake --corpus`, run as a user would, on a small corpus the test makes.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseWakeModel } from "../../agent/wake/classifier.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeCorpus } from "../helpers/wake-corpus.ts";

const C = suite("wake corpus: train and bench from the command line");
const node = (args: string[], timeout = 300_000) =>
  spawnSync(process.execPath, [...args], { encoding: "utf8", timeout, env: { ...process.env, SPA_BENCH_NO_CACHE: "1" } });
const train = (...args: string[]) => node(["scripts/train-wake/index.ts", ...args]);

C("a bad corpus is refused before any work, naming the file", async () => {
  const d = tempDir();
  try {
    await makeCorpus(d.path, { alice: "f2" });
    let r = train("--corpus", d.path, "--out", join(d.path, "m.json"));
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /one speaker only \(alice\)/);
    assert.is(r.stdout, "", "nothing started");
    r = train("--corpus", join(d.path, "nope"));
    assert.is(r.status, 1);
    assert.match(r.stderr, /nope: no such folder/);
    r = train("--corpus-only");
    assert.is(r.status, 1);
    assert.match(r.stderr, /--corpus-only needs --corpus DIR/);
  } finally {
    d.remove();
  }
});

C("--corpus-only trains on the corpus with speaker-disjoint splits; the bench scores only the speaker it never heard", async () => {
  const d = tempDir();
  try {
    const corpus = join(d.path, "corpus");
    await makeCorpus(corpus, { alice: "f2", bob: "m3" }, 2);
    const out = join(d.path, "model.json");
    const r = train("--corpus", corpus, "--corpus-only", "--ensemble", "1", "--epochs", "2", "--no-cache", "--threads", "1", "--out", out);
    assert.is(r.status, 0, r.stderr + r.stdout.slice(-2000));
    assert.match(r.stdout, /HELD-OUT corpus speakers/);
    const file = JSON.parse(readFileSync(out, "utf8")) as {
      trainedOn: {
        corpus: { train: string[]; validation: string[]; test: string[]; recordings: number; only: boolean; heldOut: { detection: Record<string, number> } };
      };
    };
    parseWakeModel(file);
    const c = file.trainedOn.corpus;
    assert.is(c.recordings, 12);
    assert.is(c.only, true);
    assert.equal([...c.train, ...c.validation, ...c.test].sort(), ["alice", "bob"]);
    assert.is(c.test.length, 1);
    assert.ok(!c.train.includes(c.test[0]!));
    assert.ok(Object.keys(c.heldOut.detection).length === 2, JSON.stringify(c.heldOut));

    const b = node(["scripts/bench/index.ts", "wake", "--corpus", corpus, "--model", out]);
    assert.is(b.status, 0, b.stderr);
    assert.match(b.stdout, new RegExp(`speakers scored: ${c.test[0]}; left out \\(the model trained or validated on them\\): ${c.train[0]}`));
    for (const row of ["detection as recorded (%)", "detection at 10 dB SNR (%)", "in babble 5 dB (%)", "false wakes per hour on everyday speech"])
      assert.ok(b.stdout.includes(row), `bench prints "${row}"\n${b.stdout}`);
  } finally {
    d.remove();
  }
});

C.run();
