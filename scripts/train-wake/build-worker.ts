/**
 * Builds scenes in a worker thread (pool.ts): its own speech embedder and the shared disk cache.
 * A scene depends on its spec alone (every random choice is seeded by it), so which thread built
 * it never changes it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { OnnxSpeechEmbedder } from "../../agent/wake/embedding-onnx.ts";
import { SceneCache } from "./cache.ts";
import type { SceneSpec } from "./dataset.ts";
import { humanStats } from "./human.ts";

const { cacheDir } = workerData as { cacheDir: string | null };
// The ONNX front end: the features the shipped classifier was trained on, reproducible bit for bit.
const embedder = await OnnxSpeechEmbedder.load();
const cache = new SceneCache(cacheDir);
let scenes = 0;
parentPort!.on("message", (m: { id: number; spec: SceneSpec; babbleTexts: string[] } | { close: true }) => {
  if ("close" in m) {
    void embedder.close().then(() => parentPort!.postMessage({ closed: true, hits: cache.hits, misses: scenes - cache.hits, human: humanStats }));
    return;
  }
  scenes++;
  cache.scene(m.spec, embedder, m.babbleTexts).then(
    (scene) => parentPort!.postMessage({ id: m.id, scene }),
    (e: Error) => parentPort!.postMessage({ id: m.id, error: e.message }),
  );
});
parentPort!.postMessage({ ready: true });
