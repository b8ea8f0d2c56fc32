/**
 * Wake-word benchmark on voices and sentences held out of training (scripts/train-wake's split):
 * detection per keyword and per noise condition, wrong-keyword rate, false wakes per hour of
 * non-wake audio and on near-miss phrases, real-time factor on one core, resident memory.
 */
import { readFileSync } from "node:fs";
import { readPcm16 } from "../../agent/audio/wav.ts";
import { loadWakeModel, EmbeddingWakeEngine } from "../../agent/wake/embedding-engine.ts";
import { SpeechEmbedder } from "../../agent/wake/embedding.ts";
import { rng } from "../train-wake/augment.ts";
import { ENGLISH, SENTENCES, split } from "../train-wake/corpus.ts";
import { buildScene, mapLimit } from "../train-wake/dataset.ts";
import { evaluate, scoresOf, specs, type Report } from "../train-wake/evaluate.ts";
import { isHeldOut, listVariants } from "../train-wake/synth.ts";

export interface WakeBench {
  report: Report;
  scenes: number;
  rtf: number;
  rssMb: number;
}

export async function wakeBench(scale: number, seed = 4242): Promise<WakeBench> {
  const held = listVariants().filter(isHeldOut);
  const sentences = split(SENTENCES).held;
  const english = split(ENGLISH).held;
  const rss0 = process.memoryUsage().rss;
  const engine = await EmbeddingWakeEngine.trained();
  // Real-time factor: the engine's own streaming path over the demo recording, one core.
  const demo = readPcm16(readFileSync("agent/audio/demo-household.wav"));
  await engine.detect(demo);
  const t0 = performance.now();
  await engine.detect(demo);
  const rtf = (performance.now() - t0) / 1000 / (demo.length / 16000);
  const rssMb = (process.memoryUsage().rss - rss0) / 1e6;
  engine.close();

  const embedder = await SpeechEmbedder.load();
  const sceneSpecs = specs(held, { sentences, english }, rng(seed), scale, ["clean", "white", "pink", "babble", "music", "reverb"]);
  const scenes = await mapLimit(sceneSpecs, 3, (s) => buildScene(s, embedder, sentences));
  await embedder.close();
  const model = loadWakeModel();
  return { report: evaluate(model, scenes, scoresOf(model, scenes)), scenes: scenes.length, rtf, rssMb };
}
