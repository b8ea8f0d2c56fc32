/** scripts/train-wake scenes: background talkers stay on their side of the held-out split. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { babbleVoices, TRAINING_BABBLE_VOICES } from "../../scripts/train-wake/dataset.ts";
import { isHeldOut, listVariants, RANDOM_VOICE_PREFIX } from "../../scripts/train-wake/synth.ts";

const T = suite("wake training scenes");

T("babble behind a held-out speaker is spoken only by other held-out voices", () => {
  const held = listVariants().filter(isHeldOut);
  assert.ok(held.length >= 5, "espeak-ng lists enough held-out variants");
  for (const speaker of held) {
    const v = babbleVoices(speaker);
    assert.ok(v.length >= 3, `${speaker}: ${v.length} background voices`);
    assert.ok(v.every(isHeldOut), `${speaker}: a training voice in held-out babble`);
    assert.not.ok(v.includes(speaker), `${speaker} talks over itself`);
  }
});

T("babble behind a training speaker (espeak's or made-up) never uses a held-out voice", () => {
  const all = new Set(listVariants());
  assert.ok(
    TRAINING_BABBLE_VOICES.every((v) => all.has(v) && !isHeldOut(v)),
    "the training babble voices exist and are training-side",
  );
  const train = [...all].filter((v) => !isHeldOut(v));
  // Made-up speakers are training-side even when their name would hash into the held-out quarter.
  const madeUp = Array.from({ length: 40 }, (_, i) => `${RANDOM_VOICE_PREFIX}${i}`);
  assert.ok(madeUp.some(isHeldOut), "the check covers a made-up name that hashes into the held-out quarter");
  for (const speaker of [...train, ...madeUp]) assert.not.ok(babbleVoices(speaker).some(isHeldOut), `${speaker}: a held-out voice in training babble`);
});

T.run();
