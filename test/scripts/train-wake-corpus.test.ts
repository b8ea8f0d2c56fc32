/** Training-data hygiene for scripts/train-wake: negatives never contain a keyword. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { KEYWORDS } from "../../agent/ports/wake-engine.ts";
import { seededRandom } from "../../agent/adapters/seeded-random.ts";
import {
  ENGLISH,
  KEYWORD_TEXT,
  NEAR_MISSES,
  SENTENCES,
  split,
  substitutionNearMisses,
  substitutionSplit,
  syllableStrings,
} from "../../scripts/train-wake/corpus.ts";
import { isHeldOut } from "../../scripts/train-wake/synth.ts";

const C = suite("wake training corpus");

C("no negative text contains a keyword", () => {
  for (const t of [...NEAR_MISSES, ...SENTENCES, ...ENGLISH]) for (const k of KEYWORDS) assert.not.ok(t.includes(k), `"${t}" contains ${k}`);
});

C("substitution near-misses: one syllable of a keyword changed, never a keyword, never listed twice", () => {
  const subs = substitutionNearMisses();
  assert.ok(subs.length >= 60, `${subs.length} substitutions`);
  assert.is(new Set(subs).size, subs.length);
  for (const t of subs) {
    for (const k of KEYWORDS) assert.not.ok(t.includes(k), `"${t}" contains ${k}`);
    assert.not.ok(NEAR_MISSES.includes(t), `"${t}" is also hand-listed`);
    const diffs = Object.values(KEYWORD_TEXT).map((k) => [...k].filter((c, i) => [...t][i] !== c).length);
    assert.ok(t.length === 4 && diffs.includes(1), `"${t}" is not a one-syllable change of a keyword`);
  }
});

C("substitutions split into disjoint training and held-out halves", () => {
  const { train, held } = substitutionSplit();
  assert.ok(held.length > 20 && train.length > 20);
  assert.not.ok(held.some((t) => train.includes(t)));
});

C("random syllable strings are seeded, bounded and never contain a keyword", () => {
  const a = syllableStrings(SENTENCES, 500, seededRandom(3));
  assert.equal(a, syllableStrings(SENTENCES, 500, seededRandom(3)));
  assert.is(a.length, 500);
  for (const t of a) {
    assert.ok(t.length >= 3 && t.length <= 10, t);
    for (const k of KEYWORDS) assert.not.ok(t.includes(k), `"${t}" contains ${k}`);
  }
});

C("no near-miss is listed twice", () => {
  assert.is(new Set(NEAR_MISSES).size, NEAR_MISSES.length);
});

C("sentences split into disjoint training and held-out halves", () => {
  const { train, held } = split(SENTENCES);
  assert.is(train.length + held.length, SENTENCES.length);
  assert.not.ok(train.some((t) => held.includes(t)));
});

C("the held-out voice choice is stable and holds out some but not most voices", () => {
  const names = ["m1", "m2", "m3", "f1", "f2", "klatt", "klatt2", "whisper", "croak", "grandma", "Alex", "Annie"];
  assert.equal(names.map(isHeldOut), names.map(isHeldOut));
  const held = names.filter(isHeldOut).length;
  assert.ok(held > 0 && held < names.length / 2);
});

C.run();
