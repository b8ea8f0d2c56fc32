/** The training scene cache returns exactly what building the scene gives. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { OnnxSpeechEmbedder } from "../../agent/wake/embedding-onnx.ts";
import { SceneCache } from "../../scripts/train-wake/cache.ts";
import { buildScene, type Scene, type SceneSpec } from "../../scripts/train-wake/dataset.ts";
import { ScenePool } from "../../scripts/train-wake/pool.ts";
import { tempDir } from "../helpers/tmp.ts";

const C = suite("wake training scene cache");

C("a cached scene equals the freshly built one; the second read is a hit", async () => {
  const dir = tempDir();
  const embedder = await OnnxSpeechEmbedder.load();
  const spec: SceneSpec = {
    kind: "positive",
    keyword: "天猫精灵",
    text: "天猫精灵",
    voice: { lang: "cmn", variant: "m3", speed: 170, pitch: 50 },
    condition: "pink",
    seed: 7,
  };
  const cache = new SceneCache(dir.path);
  const built = await cache.scene(spec, embedder, ["今天天气真不错"]);
  const again = await cache.scene(spec, embedder, ["今天天气真不错"]);
  assert.is(cache.misses, 1);
  assert.is(cache.hits, 1);
  assert.equal({ ...again, embeddings: [] }, { ...built, embeddings: [] });
  assert.is(again.embeddings.length, built.embeddings.length);
  assert.ok(again.embeddings.every((e, i) => e.every((v, d) => v === built.embeddings[i]![d])));
  await embedder.close();
  dir.remove();
});

C("the scene pool's worker threads build exactly what building in line gives, in the order asked, human scenes too", async () => {
  const embedder = await OnnxSpeechEmbedder.load();
  const specs: SceneSpec[] = [
    { kind: "positive", keyword: "你好天猫", text: "你好天猫", voice: { lang: "cmn", variant: "f2", speed: 160, pitch: 40 }, condition: "babble", seed: 3 },
    {
      kind: "positive",
      keyword: "天猫精灵",
      text: "天猫精灵",
      voice: { lang: "cmn", variant: "gcin-5", speed: 175, pitch: 50, human: { speaker: "5", pitch: 1.1, tract: 0.95, rate: 3.6 } },
      condition: "reverb",
      snrDb: 10,
      seed: 4,
    },
    {
      kind: "near-miss",
      text: "天猫精品",
      voice: { lang: "cmn", variant: "gcin-3", speed: 175, pitch: 50, human: { speaker: "3", pitch: 0.9, tract: 1.05, rate: 4 } },
      condition: "music",
      snrDb: 5,
      babble: ["m1"],
      seed: 5,
    },
  ];
  const inline: Scene[] = [];
  for (const sp of specs) inline.push(await buildScene(sp, embedder, ["今天天气真不错"]));
  const pool = await ScenePool.start(null, 2);
  const pooled = await pool.build(specs, ["今天天气真不错"]);
  await pool.close();
  assert.is(pool.misses, 3);
  assert.ok(pool.human.syllables >= 8, `human syllables counted: ${pool.human.syllables}`);
  pooled.forEach((p, i) => {
    assert.equal({ ...p, embeddings: [] }, { ...inline[i]!, embeddings: [] });
    assert.ok(
      p.embeddings.every((e, k) => e.every((v, d) => v === inline[i]!.embeddings[k]![d])),
      `scene ${i} embeddings`,
    );
  });
  assert.is(pooled[1]!.snrDb, 10);
  assert.is(pooled[1]!.voice.startsWith("gcin-5"), true);
  await embedder.close();
});

C.run();
