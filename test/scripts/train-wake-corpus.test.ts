/** Training-data hygiene for scripts/train-wake: negatives never contain a keyword. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { KEYWORDS } from "../../agent/ports/wake-engine.ts";
import { ENGLISH, NEAR_MISSES, SENTENCES, split } from "../../scripts/train-wake/corpus.ts";
import { isHeldOut } from "../../scripts/train-wake/synth.ts";

const C = suite("wake training corpus");

C("no negative text contains a keyword", () => {
  for (const t of [...NEAR_MISSES, ...SENTENCES, ...ENGLISH]) for (const k of KEYWORDS) assert.not.ok(t.includes(k), `"${t}" contains ${k}`);
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
