/** The training scene cache returns exactly what building the scene gives. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SpeechEmbedder } from "../../agent/wake/embedding.ts";
import { SceneCache } from "../../scripts/train-wake/cache.ts";
import type { SceneSpec } from "../../scripts/train-wake/dataset.ts";
import { tempDir } from "../helpers/tmp.ts";

const C = suite("wake training scene cache");

C("a cached scene equals the freshly built one; the second read is a hit", async () => {
  const dir = tempDir();
  const embedder = await SpeechEmbedder.load();
  const spec: SceneSpec = { kind: "positive", keyword: "天猫精灵", text: "天猫精灵", voice: { lang: "cmn", variant: "m3", speed: 170, pitch: 50 }, condition: "pink", seed: 7 };
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

C.run();
