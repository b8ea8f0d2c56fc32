/** The wake classifier's model format and decision rule (threshold, N consecutive, refractory). */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isAgentError } from "../../../agent/errors.ts";
import { encodeF32, forward, parseWakeModel, WakeDecider, type WakeModel } from "../../../agent/wake/classifier.ts";
import { EMBED_DIM } from "../../../agent/wake/embedding.ts";
import { loadWakeModel } from "../../../agent/wake/embedding-engine.ts";

const C = suite("wake classifier");

/** A tiny model whose head k scores sigmoid(embedding[k] * 10): tests steer scores directly. */
function tinyModel(over: Partial<Record<string, unknown>> = {}): WakeModel {
  const hidden = 2;
  const w1 = new Float32Array(hidden * EMBED_DIM);
  w1[0] = 1; // hidden 0 = relu(e[0])
  w1[EMBED_DIM + 1] = 1; // hidden 1 = relu(e[1])
  return parseWakeModel({
    format: "spa-wake-mlp/1",
    window: 1,
    dim: EMBED_DIM,
    hidden,
    mean: encodeF32(new Float32Array(EMBED_DIM)),
    std: encodeF32(new Float32Array(EMBED_DIM).fill(1)),
    w1: encodeF32(w1),
    b1: encodeF32(new Float32Array(hidden)),
    heads: [
      { keyword: "天猫精灵", w2: encodeF32(Float32Array.from([10, 0])), b2: -5, threshold: 0.9 },
      { keyword: "你好天猫", w2: encodeF32(Float32Array.from([0, 10])), b2: -5, threshold: 0.9 },
    ],
    consecutive: 2,
    refractoryMs: 1000,
    ...over,
  });
}
const emb = (a: number, b: number): Float32Array => {
  const e = new Float32Array(EMBED_DIM);
  e[0] = a;
  e[1] = b;
  return e;
};

C("the bundled model loads and has one head per keyword", () => {
  const m = loadWakeModel();
  assert.equal(m.heads.map((h) => h.keyword).sort(), ["你好天猫", "天猫精灵"].sort());
  for (const h of m.heads) assert.ok(h.threshold > 0 && h.threshold < 1);
  assert.ok(forward(m, new Float32Array(m.window * m.dim)).every((p) => p >= 0 && p <= 1));
});

C("a malformed model is refused with WAKE_MODEL_INVALID", () => {
  for (const bad of [{ window: 0 }, { heads: [] }, { hidden: 3 }, { extra: 1 }, { w1: "not base64 floats!" }]) {
    try {
      tinyModel(bad);
      assert.unreachable(JSON.stringify(bad));
    } catch (e) {
      assert.ok(isAgentError(e, "WAKE_MODEL_INVALID"), `${JSON.stringify(bad)}: ${String(e)}`);
    }
  }
});

C("a hit needs the threshold for N consecutive windows", () => {
  const d = new WakeDecider(tinyModel());
  assert.is(d.push(emb(1, 0), 0), null, "one window is not enough");
  assert.is(d.push(emb(0, 0), 80), null, "the run is broken");
  assert.is(d.push(emb(1, 0), 160), null);
  const hit = d.push(emb(1, 0), 240);
  assert.ok(hit);
  assert.is(hit.keyword, "天猫精灵");
  assert.is(hit.atMs, 240);
});

C("after a hit, nothing fires during the refractory period", () => {
  const d = new WakeDecider(tinyModel());
  d.push(emb(1, 0), 0);
  assert.ok(d.push(emb(1, 0), 80));
  for (let t = 160; t < 1080; t += 80) assert.is(d.push(emb(1, 1), t), null, `quiet at ${t}`);
  d.push(emb(0, 1), 1120);
  const next = d.push(emb(0, 1), 1200);
  assert.is(next?.keyword, "你好天猫");
});

C("reset() forgets runs and the refractory period", () => {
  const d = new WakeDecider(tinyModel());
  d.push(emb(1, 0), 0);
  d.reset();
  assert.is(d.push(emb(1, 0), 80), null, "the run started before reset does not count");
  assert.ok(d.push(emb(1, 0), 160));
});

C.run();
