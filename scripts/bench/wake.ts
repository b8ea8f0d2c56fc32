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
import { evaluate, evaluateWith, scoresOf, specs, type Report } from "../train-wake/evaluate.ts";
import { isHeldOut, listVariants, synth } from "../train-wake/synth.ts";
import { createWebRtcVad } from "../../agent/audio/webrtc-vad.ts";
import { KEYWORDS } from "../../agent/ports/wake-engine.ts";
import { WakeDecider, type WakeModel } from "../../agent/wake/classifier.ts";
import { TwoStageDecider, type EmbeddingDecider } from "../../agent/wake/embedding-engine.ts";
import { enrollKeyword } from "../../agent/wake/enroll.ts";
import { TemplateDecider, type Templates } from "../../agent/wake/templates.ts";
import { KEYWORD_TEXT } from "../train-wake/corpus.ts";
import type { Scene } from "../train-wake/dataset.ts";

export interface WakeBench {
  report: Report;
  scenes: number;
  rtf: number;
  rssMb: number;
  /** Households (one held-out voice each) with enrolled templates: trained vs trained+templates. */
  secondStage: { households: number; trained: Report; twoStage: Report; looser: Array<{ factor: number; report: Report }> };
}

/**
 * A household is one held-out voice that enrolled 3 clean takes of each phrase. Its own scenes
 * are scored by the trained engine alone and with its templates as a second stage.
 */
async function secondStageBench(model: WakeModel, scenes: Scene[], embedder: SpeechEmbedder, voices: string[]): Promise<WakeBench["secondStage"]> {
  const vad = await createWebRtcVad(2);
  const mine: Scene[] = [];
  const decidersTrained: EmbeddingDecider[] = [];
  const decidersTwo: EmbeddingDecider[] = [];
  const factors = [1.5, 2, 3];
  const looser: EmbeddingDecider[][] = factors.map(() => []);
  for (const v of voices) {
    const templates: Templates = {};
    for (const k of KEYWORDS) {
      const clips = [];
      for (const [speed, pitch] of [[150, 35], [175, 50], [200, 65]] as const) {
        const s = await synth(KEYWORD_TEXT[k], { lang: "cmn", variant: v, speed, pitch });
        const padded = new Int16Array(16000 + s.length + 9600);
        padded.set(s, 16000);
        clips.push({ name: `${v}-${speed}`, samples: padded });
      }
      templates[k] = await enrollKeyword(embedder, vad, clips);
    }
    for (const s of scenes.filter((sc) => sc.voice.startsWith(`${v}/`))) {
      mine.push(s);
      decidersTrained.push(new WakeDecider(model));
      decidersTwo.push(new TwoStageDecider(new WakeDecider(model), new TemplateDecider(templates, model.refractoryMs)));
      factors.forEach((f, i) => {
        const scaled: Templates = Object.fromEntries(Object.entries(templates).map(([k, kt]) => [k, { ...kt!, threshold: kt!.threshold * f }]));
        looser[i]!.push(new TwoStageDecider(new WakeDecider(model), new TemplateDecider(scaled, model.refractoryMs)));
      });
    }
  }
  vad.close();
  const run = (ds: EmbeddingDecider[]): Report => evaluateWith(mine, (i) => ds[i]!);
  return {
    households: voices.length,
    trained: run(decidersTrained),
    twoStage: run(decidersTwo),
    looser: factors.map((factor, i) => ({ factor, report: run(looser[i]!) })),
  };
}

export async function wakeBench(scale: number, households: number, seed = 4242): Promise<WakeBench> {
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
  const model = loadWakeModel();
  const report = evaluate(model, scenes, scoresOf(model, scenes));
  const secondStage = await secondStageBench(model, scenes, embedder, held.slice(0, households));
  await embedder.close();
  return { report, scenes: scenes.length, rtf, rssMb, secondStage };
}
