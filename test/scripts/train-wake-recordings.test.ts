/** A vendor's corpus: layout checks that name the file, speaker-disjoint splits, scenes per clip. */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { rng } from "../../scripts/train-wake/augment.ts";
import { corpusSpecs, CorpusError, loadCorpus, readClip, splitSpeakers } from "../../scripts/train-wake/recordings.ts";
import { tempDir } from "../helpers/tmp.ts";
import { makeCorpus } from "../helpers/wake-corpus.ts";

const R = suite("wake training: vendor corpus");

R("a good corpus loads: every file, any WAV format, speakers sorted", async () => {
  const d = tempDir();
  try {
    await makeCorpus(d.path);
    const c = loadCorpus(d.path);
    assert.equal(c.speakers, ["alice", "bob"]);
    assert.is(c.clips.length, 6);
    assert.equal(
      c.clips.filter((x) => x.keyword === "天猫精灵").map((x) => x.speaker),
      ["alice", "bob"],
    );
    for (const clip of c.clips) {
      const pcm = readClip({ file: clip.file, hash: clip.hash, trim: clip.keyword !== null });
      assert.ok(pcm.length > 0.3 * 16000, `${clip.file}: ${pcm.length} samples`);
      // Keyword takes are trimmed to their speech (the corpus files have 0.25 s of silence around it).
      if (clip.keyword) assert.ok(pcm.length / 16000 < clip.seconds - 0.3, `${clip.file} trimmed`);
    }
  } finally {
    d.remove();
  }
});

R("bad corpora are refused with the folder or file named", async () => {
  const d = tempDir();
  try {
    const expectError = (dir: string, re: RegExp): void => {
      try {
        loadCorpus(dir);
        assert.unreachable(`${dir} accepted`);
      } catch (e) {
        assert.instance(e, CorpusError);
        assert.match((e as Error).message, re);
      }
    };
    expectError(join(d.path, "missing"), /missing: no such folder/);
    expectError(d.path, /no speaker folders/);
    await makeCorpus(d.path, { alice: "f2" });
    expectError(d.path, /one speaker only \(alice\)/);
    mkdirSync(join(d.path, "bob", "天猫"), { recursive: true });
    expectError(d.path, /bob\/天猫: unknown folder/);
    rmSync(join(d.path, "bob", "天猫"), { recursive: true });
    mkdirSync(join(d.path, "bob", "天猫精灵"), { recursive: true });
    writeFileSync(join(d.path, "bob", "天猫精灵", "broken.wav"), "RIFF....WAVEjunk");
    expectError(d.path, /bob\/天猫精灵\/broken\.wav: unreadable/);
    writeFileSync(join(d.path, "bob", "天猫精灵", "broken.wav"), Buffer.alloc(0));
    expectError(d.path, /broken\.wav: unreadable/);
    writeFileSync(join(d.path, "bob", "天猫精灵", "broken.wav"), "x");
    writeFileSync(join(d.path, "bob", "天猫精灵", "take.mp3"), "x");
    expectError(d.path, /broken\.wav: unreadable|take\.mp3: not a \.wav/);
  } finally {
    d.remove();
  }
});

R("speaker splits are disjoint, cover everyone, are stable, and adding a speaker moves no other", () => {
  const names = Array.from({ length: 13 }, (_, i) => `spk${i}`);
  const s = splitSpeakers(names);
  const all = [...s.train, ...s.validation, ...s.test];
  assert.equal([...all].sort(), [...names].sort());
  assert.is(new Set(all).size, names.length);
  assert.ok(s.test.length >= 3 && s.validation.length >= 1 && s.train.length >= 7, JSON.stringify(s));
  assert.equal(splitSpeakers([...names].reverse()), s);
  const two = splitSpeakers(["a", "b"]);
  assert.is(two.train.length, 1);
  assert.is(two.test.length, 1);
  assert.is(two.validation.length, 0);
});

R("scenes: every keyword take at every level, negatives as recorded; only the given speakers", async () => {
  const d = tempDir();
  try {
    await makeCorpus(d.path);
    const c = loadCorpus(d.path);
    const specs = corpusSpecs(c, ["bob"], rng(1), { conditions: ["clean", "pink", "babble"], snrs: [15, 10, 5], negativeNoisy: false, babble: ["m1"] });
    assert.ok(specs.every((s) => s.voice.variant === "corpus:bob"));
    assert.is(specs.filter((s) => s.kind === "positive").length, 2 * 7);
    assert.is(specs.filter((s) => s.kind !== "positive").length, 1);
    assert.equal([...new Set(specs.filter((s) => s.kind === "positive").map((s) => `${s.condition}${s.snrDb ?? ""}`))].sort(), [
      "babble10",
      "babble15",
      "babble5",
      "clean",
      "pink10",
      "pink15",
      "pink5",
    ]);
  } finally {
    d.remove();
  }
});

R.run();
