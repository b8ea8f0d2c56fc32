/**
 * Builds wake-word scenes (synthetic speech in context, augmented) and their embeddings.
 * A scene is a few seconds of audio: some lead-in (silence, noise or other speech), then one
 * utterance, then a short tail. Embedding i of a scene ends at 0.08 × (i + 10) s.
 */
import type { Keyword } from "../../agent/ports/wake-engine.ts";
import type { SpeechFeatures } from "../../agent/wake/embedding.ts";
import { channel, mixAtSnr, pick, pinkNoise, reverb, rng, toFloat, toInt16, tones, uniform, whiteNoise, type Rng } from "./augment.ts";
import { humanSpeak } from "./human.ts";
import { readClip } from "./recordings.ts";
import { isHeldOut, listVariants, RANDOM_VOICE_PREFIX, synth, type Voice } from "./synth.ts";

export type SceneKind = "positive" | "sentence" | "near-miss" | "english" | "noise" | "music";
export type Condition = "clean" | "white" | "pink" | "babble" | "music" | "reverb" | "random";

export interface Scene {
  kind: SceneKind;
  keyword?: Keyword;
  /** Spoken text (for reports). */
  text: string;
  voice: string;
  condition: Condition;
  /** Keyword start and end in seconds from the scene start (positives only). */
  kwStart?: number;
  kwEnd?: number;
  /** The noise level the scene was built at, when fixed (SceneSpec.snrDb). */
  snrDb?: number;
  seconds: number;
  embeddings: Float32Array[];
}

export const embeddingEndSec = (i: number): number => 0.08 * (i + 10);

export interface SceneSpec {
  kind: SceneKind;
  text: string;
  voice: Voice;
  keyword?: Keyword;
  /** Lead-in speech (another sentence) instead of silence, if given. */
  leadText?: string;
  /** Speech right after the utterance (a positive followed by its command), if given. */
  tailText?: string;
  condition: Condition;
  seed: number;
  /** Noise level in dB SNR (white, pink, babble, music; reverb gets pink noise at it); random 5–20 dB when absent. */
  snrDb?: number;
  /** Background talkers for babble (espeak-ng variants); by default babbleVoices(speaker). */
  babble?: string[];
}

/** A noise condition and, when fixed, its SNR. */
export interface Level {
  condition: Condition;
  snrDb?: number;
}

/** Conditions as levels: without SNRs each once; with them "clean" once (quiet) and every other condition at each SNR. */
export function levelsOf(conditions: readonly Condition[], snrs?: readonly number[]): Level[] {
  if (!snrs) return conditions.map((condition) => ({ condition }));
  return conditions.flatMap((c): Level[] => (c === "clean" ? [{ condition: c }] : snrs.map((snrDb) => ({ condition: c, snrDb }))));
}

/** Speech for a scene: espeak-ng, or a human take joined from recorded syllables (`salt` varies its prosody). */
function speak(text: string, v: Voice, salt: number): Promise<Int16Array> {
  if (v.clip) return Promise.resolve(readClip(v.clip));
  return v.human ? humanSpeak(text, v.human, salt) : synth(text, v);
}

let variants: string[] | null = null;

/** Background talkers behind training-side speakers (espeak-ng variants outside the held-out quarter). */
export const TRAINING_BABBLE_VOICES: readonly string[] = ["m1", "f2", "m3", "f4", "klatt3"];

/**
 * Who talks in the background of a scene. Behind a held-out speaker: other held-out voices only,
 * so the evaluation's babble is never a voice training heard (it used to be these five). Behind a
 * training-side speaker (made-up speakers included): the five above. Drawing training babble from
 * every training voice instead was tried and measured level (within a scene or two on the bench),
 * so the training data, and with it the shipped weights, stay as they were.
 */
export function babbleVoices(speaker: string): readonly string[] {
  const heldOut = !speaker.startsWith(RANDOM_VOICE_PREFIX) && isHeldOut(speaker);
  if (!heldOut) return TRAINING_BABBLE_VOICES;
  variants ??= listVariants();
  return variants.filter((v) => v !== speaker && isHeldOut(v));
}

/** Background speech for babble: three sentences by background voices, spoken over each other. */
async function babble(n: number, texts: readonly string[], voices: readonly string[], r: Rng): Promise<Float32Array> {
  const out = new Float32Array(n);
  for (let k = 0; k < 3; k++) {
    const s = toFloat(
      await synth(pick(r, texts), { lang: "cmn", variant: pick(r, voices), speed: Math.round(uniform(r, 140, 220)), pitch: Math.round(uniform(r, 20, 80)) }),
    );
    const off = Math.floor(uniform(r, 0, 8000));
    for (let i = 0; i < n; i++) out[i] = out[i]! + s[(i + off) % s.length]! * 0.6;
  }
  return out;
}

export async function buildScene(spec: SceneSpec, embedder: SpeechFeatures, babbleTexts: readonly string[]): Promise<Scene> {
  const r = rng(spec.seed);
  const sr = 16000;
  const lead = spec.leadText ? toFloat(await speak(spec.leadText, { ...spec.voice, speed: Math.round(uniform(r, 150, 220)) }, 1)) : new Float32Array(0);
  const speech =
    spec.kind === "noise" || spec.kind === "music" ? new Float32Array(Math.floor(uniform(r, 1.0, 2.5) * sr)) : toFloat(await speak(spec.text, spec.voice, 0));
  const pre = Math.floor(uniform(r, 0.9, 1.8) * sr);
  const gap = lead.length ? Math.floor(uniform(r, 0.15, 0.5) * sr) : 0;
  const tail = spec.tailText ? toFloat(await speak(spec.tailText, { ...spec.voice, speed: Math.round(uniform(r, 150, 220)) }, 2)) : new Float32Array(0);
  const tailGap = tail.length ? Math.floor(uniform(r, 0.1, 0.45) * sr) : 0;
  const post = Math.floor(0.6 * sr);
  const total = pre + lead.length + gap + speech.length + tailGap + tail.length + post;
  let x: Float32Array = new Float32Array(total);
  // Lead-in speech sits at the end of the pre-roll, just before the utterance.
  const leadAt = pre;
  x.set(lead, leadAt);
  const at = pre + lead.length + gap;
  x.set(speech, at);
  x.set(tail, at + speech.length + tailGap);

  let cond = spec.condition;
  if (cond === "random") cond = pick(r, ["clean", "clean", "white", "pink", "babble", "music", "reverb"] as const);
  if (cond === "reverb") x = reverb(x, r);
  const drawn = uniform(r, 5, 20);
  const snr = spec.snrDb ?? drawn;
  if (cond === "reverb" && spec.snrDb !== undefined) x = mixAtSnr(x, pinkNoise(total, r), snr);
  if (cond === "white") x = mixAtSnr(x, whiteNoise(total, r), snr);
  if (cond === "pink") x = mixAtSnr(x, pinkNoise(total, r), snr);
  if (cond === "babble") x = mixAtSnr(x, await babble(total, babbleTexts, spec.babble ?? babbleVoices(spec.voice.variant), r), snr);
  if (cond === "music") x = mixAtSnr(x, tones(total, r), snr);
  if (spec.kind === "noise") x = whiteNoise(total, r).map((v, i) => v * 0.3 + (i % 2 ? 0.01 : 0)) as Float32Array;
  if (spec.kind === "music") x = tones(total, r);
  // Half of the scenes reach the detector through a coloured channel (microphone, enclosure),
  // drawn from a stream of their own so that everything else about the scene stays the same.
  const cr = rng(spec.seed ^ 0x5bd1e995);
  if (cr() < 0.5) x = channel(x, cr);
  // A little noise floor always: real microphones are never digitally silent.
  const floor = whiteNoise(total, r);
  for (let i = 0; i < total; i++) x[i] = x[i]! + floor[i]! * 1e-4;
  const samples = toInt16(x, uniform(r, -25, -1), r() < 0.05);
  const embeddings = await embedder.embedClip(samples);
  const scene: Scene = {
    kind: spec.kind,
    text: spec.text,
    voice: `${spec.voice.variant}/s${spec.voice.speed}/p${spec.voice.pitch}`,
    condition: cond,
    seconds: total / sr,
    embeddings,
  };
  if (spec.snrDb !== undefined && cond !== "clean") scene.snrDb = spec.snrDb;
  if (spec.keyword) {
    scene.keyword = spec.keyword;
    scene.kwStart = at / sr;
    scene.kwEnd = (at + speech.length) / sr;
  }
  return scene;
}
