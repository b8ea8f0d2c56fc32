/** scripts/train-wake: ensemble members trained in worker threads equal those trained in line. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { seededRandom } from "../../agent/adapters/seeded-random.ts";
import { forward } from "../../agent/wake/classifier.ts";
import { EMBED_DIM } from "../../agent/wake/embedding.ts";
import type { Scene } from "../../scripts/train-wake/dataset.ts";
import { samplesOf, train, trainMembers, type TrainOptions } from "../../scripts/train-wake/train.ts";

const T = suite("wake training");

/** Small made-up scenes: positives carry a bump in a few dimensions near their end. */
function scenes(n: number, bumpAfter = 20): Scene[] {
  const r = seededRandom(5);
  return Array.from({ length: n }, (_, i) => {
    const positive = i % 2 === 0;
    const embeddings = Array.from({ length: 30 }, (_, t) =>
      Float32Array.from({ length: EMBED_DIM }, (_, d) => r() + (positive && t > bumpAfter && d < 8 ? 2 : 0)),
    );
    const s: Scene = { kind: positive ? "positive" : "sentence", text: "", voice: "v", condition: "clean", seconds: 3.2, embeddings };
    if (positive) Object.assign(s, { keyword: i % 4 === 0 ? "天猫精灵" : "你好天猫", kwStart: 1.0, kwEnd: 2.2 });
    return s;
  });
}

T("worker threads give the same weights as training one after another, and the members differ", async () => {
  const sc = scenes(24);
  const samples = samplesOf(sc, 4);
  const opts: TrainOptions[] = [1, 2, 3].map((seed) => ({ window: 4, hidden: 6, epochs: 2, seed, lr: 1e-3, l2: 1e-4, dropout: 0.1, inputNoise: 0.1 }));
  const inline = opts.map((o) => train(sc, samples, o, () => undefined));
  const threaded = await trainMembers(sc, samples, opts, 2, () => undefined);
  assert.is(threaded.length, 3);
  threaded.forEach((m, i) => {
    assert.equal([...m.w1], [...inline[i]!.w1]);
    assert.equal([...m.b1], [...inline[i]!.b1]);
    assert.equal(
      m.heads.map((h) => [...h.w2, h.b2]),
      inline[i]!.heads.map((h) => [...h.w2, h.b2]),
    );
  });
  assert.not.equal([...threaded[0]!.w1], [...threaded[1]!.w1]);
});

T("human-voice scenes weigh humanWeight times as much, positives and negatives alike", () => {
  const sc = scenes(8);
  sc[0]!.voice = "gcin-5/s175/p50";
  sc[1]!.voice = "gcin-5/s175/p50";
  const plain = samplesOf(sc, 4, 3, 1);
  const weighted = samplesOf(sc, 4, 3, 2.5);
  assert.is(weighted.length, plain.length);
  weighted.forEach((w, i) => assert.is(w.w, plain[i]!.w * (w.scene <= 1 ? 2.5 : 1), `sample ${i} of scene ${w.scene}`));
  assert.ok(weighted.some((w) => w.scene === 0 && w.y.includes(1)) && weighted.some((w) => w.scene === 1));
});

/** Rank of a rows × cols matrix by Gaussian elimination (tolerance relative to its largest entry). */
function rank(m: number[][]): number {
  const a = m.map((row) => [...row]);
  const tol = 1e-4 * Math.max(...a.flat().map(Math.abs));
  let r = 0;
  for (let c = 0; c < a[0]!.length && r < a.length; c++) {
    let p = r;
    for (let i = r; i < a.length; i++) if (Math.abs(a[i]![c]!) > Math.abs(a[p]![c]!)) p = i;
    if (Math.abs(a[p]![c]!) <= tol) continue;
    [a[r], a[p]] = [a[p]!, a[r]!];
    for (let i = r + 1; i < a.length; i++) {
      const f = a[i]![c]! / a[r]![c]!;
      for (let j = c; j < a[0]!.length; j++) a[i]![j] = a[i]![j]! - f * a[r]![j]!;
    }
    r++;
  }
  return r;
}

T("a factorised first layer (shared per-embedding projection) learns, and is exported as its product", () => {
  // The bump covers every window labelled as the keyword (ends at embeddings 18–21).
  const sc = scenes(40, 14);
  const samples = samplesOf(sc, 4);
  const proj = 2;
  const m = train(sc, samples, { window: 4, hidden: 6, epochs: 12, seed: 3, lr: 3e-3, l2: 1e-4, dropout: 0, inputNoise: 0.1, project: proj }, () => undefined);
  // Every time step's hidden × dim block is the hidden layer's slice times the one projection:
  // its rank is at most the projection size (a full layer's would be the hidden size).
  for (let k = 0; k < 4; k++) {
    const block = Array.from({ length: 6 }, (_, j) => [...m.w1.subarray((j * 4 + k) * EMBED_DIM, (j * 4 + k + 1) * EMBED_DIM)]);
    assert.ok(rank(block) <= proj, `time step ${k}: rank ${rank(block)}`);
  }
  const full = train(sc, samples, { window: 4, hidden: 6, epochs: 2, seed: 3, lr: 1e-3, l2: 1e-4, dropout: 0, inputNoise: 0.1 }, () => undefined);
  assert.is(rank(Array.from({ length: 6 }, (_, j) => [...full.w1.subarray(j * 4 * EMBED_DIM, (j * 4 + 1) * EMBED_DIM)])), 6);
  // It separates the labelled windows: every keyword window scores above every negative one.
  const score = (s: Scene, end: number, head: number): number => {
    const x = new Float32Array(4 * EMBED_DIM);
    for (let k = 0; k < 4; k++) for (let d = 0; d < EMBED_DIM; d++) x[k * EMBED_DIM + d] = (s.embeddings[end - 3 + k]![d]! - m.mean[d]!) / m.std[d]!;
    return forward(m, x)[head]!;
  };
  const pos = samples.filter((s) => s.y.includes(1)).map((s) => score(sc[s.scene]!, s.end, s.y.indexOf(1)));
  const neg = samples.filter((s) => !s.y.includes(1)).map((s) => Math.max(score(sc[s.scene]!, s.end, 0), score(sc[s.scene]!, s.end, 1)));
  assert.ok(Math.min(...pos) > Math.max(...neg), `positives ≥ ${Math.min(...pos)}, negatives ≤ ${Math.max(...neg)}`);
});

T.run();
