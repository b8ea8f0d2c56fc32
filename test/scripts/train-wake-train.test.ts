/** scripts/train-wake: ensemble members trained in worker threads equal those trained in line. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { seededRandom } from "../../agent/adapters/seeded-random.ts";
import { EMBED_DIM } from "../../agent/wake/embedding.ts";
import type { Scene } from "../../scripts/train-wake/dataset.ts";
import { samplesOf, train, trainMembers, type TrainOptions } from "../../scripts/train-wake/train.ts";

const T = suite("wake training");

/** Small made-up scenes: positives carry a bump in a few dimensions near their end. */
function scenes(n: number): Scene[] {
  const r = seededRandom(5);
  return Array.from({ length: n }, (_, i) => {
    const positive = i % 2 === 0;
    const embeddings = Array.from({ length: 30 }, (_, t) => Float32Array.from({ length: EMBED_DIM }, (_, d) => r() + (positive && t > 20 && d < 8 ? 2 : 0)));
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
    assert.equal(m.heads.map((h) => [...h.w2, h.b2]), inline[i]!.heads.map((h) => [...h.w2, h.b2]));
  });
  assert.not.equal([...threaded[0]!.w1], [...threaded[1]!.w1]);
});

T.run();
