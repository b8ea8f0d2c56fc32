/**
 * The hotel recogniser's non-command sentences: EVERYDAY_TALK shares no sentence, and no stretch of
 * four characters, with the wake word's SENTENCES or the near-miss requests — both lists are split
 * by position into trained / validation / test parts, so a copy in the other list would put a
 * held-out sentence into training.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { EVERYDAY_TALK, NEAR_MISS_REQUESTS } from "../../scripts/train-commands/data.ts";
import { SENTENCES } from "../../scripts/train-wake/corpus.ts";

const S = suite("hotel recogniser sentences");
const grams = (s: string): string[] => Array.from({ length: Math.max(0, s.length - 3) }, (_, i) => s.slice(i, i + 4));

S("EVERYDAY_TALK: no duplicates, none shared with the other lists, not even four characters in a row", () => {
  assert.is(new Set(EVERYDAY_TALK).size, EVERYDAY_TALK.length, "no duplicates within");
  const others = [...SENTENCES, ...NEAR_MISS_REQUESTS];
  const clashes: string[] = [];
  for (const [i, t] of EVERYDAY_TALK.entries()) {
    const g = grams(t);
    for (const o of [...others, ...EVERYDAY_TALK.slice(i + 1)]) if (o === t || grams(o).some((x) => g.includes(x))) clashes.push(`${t} ~ ${o}`);
  }
  assert.equal(clashes, []);
});

S("EVERYDAY_TALK asks for nothing the hotel catalogue offers: no request words", () => {
  for (const t of EVERYDAY_TALK) assert.not.match(t, /^请|请帮|帮我|麻烦|送来|送一|给我|需要|要一|来一/, t);
});

S.run();
