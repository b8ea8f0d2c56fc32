/**
 * The hotel catalogue and the command recogniser without audio: the catalogue file's rules, the
 * bundled model matching the bundled catalogue, bad model files refused with the field named, and
 * the decision rule (the winner must be a command and reach the threshold).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BUNDLED_CATALOGUE, loadCatalogue } from "../../../agent/hotel/catalogue.ts";
import {
  decide,
  FEATURES,
  framedForRecognition,
  LEAD_SILENCE_SAMPLES,
  speechSpan,
  TRAIL_SILENCE_SAMPLES,
  loadCommandModel,
  parseCommandModel,
  recognise,
  SEGMENTS,
  summarise,
  type CommandModel,
} from "../../../agent/hotel/recogniser.ts";
import { encodeF32 } from "../../../agent/wake/classifier.ts";
import { EMBED_DIM } from "../../../agent/wake/embedding.ts";
import { tempDir } from "../../helpers/tmp.ts";

const R = suite("hotel catalogue and recogniser");

R("the bundled catalogue: about a dozen everyday requests, unique ids, phrasings for each", () => {
  const c = loadCatalogue();
  const ids = c.commands.map((x) => x.id);
  for (const want of [
    "clean-room",
    "slippers",
    "drinking-water",
    "towels",
    "toiletries",
    "extra-blanket",
    "late-checkout",
    "check-out",
    "room-service-menu",
    "front-desk",
    "dnd-on",
    "dnd-off",
    "repair",
  ])
    assert.ok(ids.includes(want), want);
  for (const x of c.commands) assert.ok(x.examples.length >= 3, `${x.id} has phrasings`);
});

R("a bad catalogue is refused with the file and the field named", () => {
  const dir = tempDir("spa-catalogue-");
  try {
    const base = loadCatalogue();
    const cases: Array<[unknown, RegExp]> = [
      [{ ...base, commands: [...base.commands, base.commands[0]] }, /commands.*unique/],
      [{ ...base, commands: [{ ...base.commands[0]!, id: "Clean Room" }] }, /commands\.0\.id: lower-case letters/],
      [{ ...base, commands: [{ ...base.commands[0]!, examples: ["打扫"] }] }, /commands\.0\.examples/],
      [{ ...base, format: "v2" }, /format/],
    ];
    for (const [raw, re] of cases) {
      const f = join(dir.path, "c.json");
      writeFileSync(f, JSON.stringify(raw));
      assert.throws(
        () => loadCatalogue(f),
        (e: Error) => e.message.includes(f) && re.test(e.message),
        String(re),
      );
    }
    assert.throws(() => loadCatalogue(join(dir.path, "missing.json")), /cannot read the hotel catalogue/);
  } finally {
    dir.remove();
  }
});

R("the bundled model knows exactly the bundled catalogue's commands and texts (retrain after editing it)", () => {
  const m = loadCommandModel();
  assert.equal(
    m.commands,
    loadCatalogue(BUNDLED_CATALOGUE).commands.map((c) => ({ id: c.id, text: c.text })),
  );
  assert.ok(m.threshold >= 0.5 && m.threshold <= 1, "a threshold chosen by training");
});

/** A model whose hidden layer passes feature 0 and 1 through and whose outputs are [cmd A, cmd B, none]; `members` copies of it. */
function tiny(threshold: number, members = 1): CommandModel {
  const hidden = 2;
  const out = 3;
  const w1 = new Float32Array(FEATURES * hidden);
  w1[0 * hidden + 0] = 1;
  w1[1 * hidden + 1] = 1;
  const w2 = new Float32Array(hidden * out);
  w2[0 * out + 0] = 10; // hidden 0 → command A
  w2[1 * out + 1] = 10; // hidden 1 → command B
  const b2 = new Float32Array([0, 0, 2]); // "none" wins when neither fires
  return parseCommandModel({
    format: "spa-hotel-commands/2",
    commands: [
      { id: "a", text: "甲" },
      { id: "b", text: "乙" },
    ],
    hidden,
    mean: encodeF32(new Float32Array(FEATURES)),
    std: encodeF32(new Float32Array(FEATURES).fill(1)),
    members: Array.from({ length: members }, () => ({ w1: encodeF32(w1), b1: encodeF32(new Float32Array(hidden)), w2: encodeF32(w2), b2: encodeF32(b2) })),
    threshold,
  });
}
const features = (f0: number, f1: number): Float32Array => {
  const f = new Float32Array(FEATURES);
  f[0] = f0;
  f[1] = f1;
  return f;
};

R("decide: the winning command at or above the threshold; 'none' or an unsure winner → null", () => {
  const m = tiny(0.9);
  assert.equal(decide(m, features(1, 0))?.id, "a");
  assert.equal(decide(m, features(0, 1))?.text, "乙");
  assert.is(decide(m, features(0, 0)), null, "none wins");
  // A wins but only narrowly over B: below the threshold.
  const close = decide(tiny(0.9), features(1, 0.95));
  assert.is(close, null);
  assert.equal(decide(tiny(0.4), features(1, 0.95))?.id, "a", "the same utterance passes a lower threshold");
  // An ensemble of identical members decides as one of them: the probabilities are averaged.
  assert.equal(decide(tiny(0.9, 3), features(1, 0))?.confidence, decide(tiny(0.9), features(1, 0))?.confidence);
});

R("summarise: quarter means and the maximum; no embeddings → nothing recognised", () => {
  const e = Array.from({ length: 8 }, (_, t) => new Float32Array(EMBED_DIM).fill(t));
  const f = summarise(e)!;
  assert.is(f.length, FEATURES);
  assert.equal(
    Array.from({ length: SEGMENTS }, (_, k) => f[k * EMBED_DIM]),
    [0.5, 2.5, 4.5, 6.5],
  );
  assert.is(f[SEGMENTS * EMBED_DIM], 7, "max");
  assert.equal(summarise([new Float32Array(EMBED_DIM).fill(3)])!.slice(0, 1), new Float32Array([3]), "one embedding fills every quarter");
  assert.is(recognise(tiny(0.5), []), null);
});

R("framing: a session's speech is cut out of its silence and given half a second before and after, however long the guest waited", () => {
  const rnd = (() => {
    let x = 7;
    return () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  })();
  for (const leadS of [0.2, 1, 3]) {
    const lead = Math.round(leadS * 16000);
    const audio = new Int16Array(lead + 16000 + 8000);
    for (let i = 0; i < audio.length; i++) audio[i] = Math.round(rnd() * 30); // room noise
    for (let i = lead; i < lead + 16000; i++) audio[i] = Math.round(Math.sin(i / 5) * 4000 + rnd() * 30); // one second of "speech"
    const [a, b] = speechSpan(audio)!;
    assert.ok(a <= lead && a >= lead - 2200, `starts just before the speech (lead ${leadS} s: ${a})`);
    assert.ok(b >= lead + 16000 && b <= lead + 16000 + 3800, `ends just after it (${b})`);
    const framed = framedForRecognition(audio);
    assert.is(framed.length, LEAD_SILENCE_SAMPLES + (b - a) + TRAIL_SILENCE_SAMPLES, "the same layout whatever the lead");
    assert.ok(framed.subarray(0, LEAD_SILENCE_SAMPLES).every((v) => v === 0));
  }
  assert.is(speechSpan(new Int16Array(16000)), null, "silence: nothing stands out");
  assert.is(framedForRecognition(new Int16Array(16000)).length, LEAD_SILENCE_SAMPLES + 16000 + TRAIL_SILENCE_SAMPLES, "then all of it");
});

R("a model file with wrong shapes or fields is refused, naming the file", () => {
  const dir = tempDir("spa-model-");
  try {
    const f = join(dir.path, "m.json");
    const m = tiny(0.5);
    const member = (n: CommandModel["members"][number]) => ({ w1: encodeF32(n.w1), b1: encodeF32(n.b1), w2: encodeF32(n.w2), b2: encodeF32(n.b2) });
    const file = { ...m, mean: encodeF32(m.mean), std: encodeF32(m.std), members: m.members.map(member) };
    writeFileSync(f, JSON.stringify(file));
    assert.is(loadCommandModel(f).commands.length, 2);
    writeFileSync(f, JSON.stringify({ ...file, members: [...file.members, { ...file.members[0]!, b2: encodeF32(new Float32Array(2)) }] }));
    assert.throws(
      () => loadCommandModel(f),
      (e: Error) => e.message.startsWith(f) && /weight shapes/.test(e.message),
    );
    writeFileSync(f, JSON.stringify({ ...file, threshold: 2 }));
    assert.throws(() => loadCommandModel(f), /threshold/);
    writeFileSync(f, JSON.stringify({ ...file, extra: 1 }));
    assert.throws(() => loadCommandModel(f), /extra|Unrecognized/);
  } finally {
    dir.remove();
  }
});

R.run();
