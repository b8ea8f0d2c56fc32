/**
 * Enrollment of personal wake-word templates from a household's own recordings. Each clip is
 * checked (pipeline format — by the WAV reader —, contains speech, 0.4–3 s of it after trimming);
 * what is kept is the phrase's embedding sequence only, never audio.
 */
import { AgentError } from "../errors.ts";
import type { Vad } from "../ports/vad.ts";
import { FRAME_MS, FRAME_SAMPLES } from "../units.ts";
import type { SpeechFeatures } from "./embedding.ts";
import { embeddingEndMs } from "./embedding-engine.ts";
import { calibrate, MIN_CLIPS, type KeywordTemplates } from "./templates.ts";

export const MIN_SPEECH_S = 0.4;
export const MAX_SPEECH_S = 3;
const LEAD_S = 1.0;
const TAIL_S = 0.3;

export interface Clip {
  name: string;
  samples: Int16Array;
}

/** Pauses shorter than this (in frames, ~300 ms) do not split an utterance. */
const MAX_GAP_FRAMES = 10;

/**
 * The longest stretch of speech by the VAD (pauses under 300 ms bridged), so a cough or the
 * edge of another utterance in the recording does not count; null when there is (almost) none.
 */
function speechSpan(vad: Vad, s: Int16Array): { first: number; last: number } | null {
  vad.reset();
  let best: { first: number; last: number; count: number } | null = null;
  let cur: { first: number; last: number; count: number } | null = null;
  for (let f = 0; (f + 1) * FRAME_SAMPLES <= s.length; f++) {
    if (!vad.isSpeech(s.subarray(f * FRAME_SAMPLES, (f + 1) * FRAME_SAMPLES))) continue;
    if (cur && f - cur.last <= MAX_GAP_FRAMES) {
      cur.last = f;
      cur.count++;
    } else cur = { first: f, last: f, count: 1 };
    if (!best || cur.last - cur.first > best.last - best.first) best = { ...cur };
  }
  return best && best.count >= 5 ? { first: best.first, last: best.last } : null;
}

/** The phrase's speech, trimmed by the VAD; rejects clips without a usable phrase. */
function phraseOf(vad: Vad, clip: Clip): Int16Array {
  const span = speechSpan(vad, clip.samples);
  if (!span) throw new AgentError("ENROLL_REJECTED", `${clip.name}: no speech found; record the phrase closer to the speaker`);
  const seconds = ((span.last - span.first + 1) * FRAME_MS) / 1000;
  if (seconds < MIN_SPEECH_S || seconds > MAX_SPEECH_S) {
    throw new AgentError(
      "ENROLL_REJECTED",
      `${clip.name}: ${seconds.toFixed(2)} s of speech after trimming; a wake phrase takes ${MIN_SPEECH_S}–${MAX_SPEECH_S} s`,
    );
  }
  return clip.samples.subarray(span.first * FRAME_SAMPLES, (span.last + 1) * FRAME_SAMPLES);
}

/**
 * The phrase's embeddings, set in quiet padding (or, with `noise`, in noise at that SNR: used
 * to calibrate how far the household's own phrase drifts in a noisy room).
 */
async function phraseEmbeddings(embedder: SpeechFeatures, name: string, speech: Int16Array, noise?: { snrDb: number; seed: number }): Promise<Float32Array[]> {
  const lead = Math.round(LEAD_S * 16000);
  const padded = new Int16Array(lead + speech.length + Math.round(TAIL_S * 16000));
  // A faint noise floor rather than digital silence, as a microphone would give.
  for (let i = 0; i < padded.length; i++) padded[i] = ((i * 7919) % 13) - 6;
  padded.set(speech, lead);
  if (noise) addNoise(padded, speech, noise.snrDb, noise.seed);
  const embs = await embedder.embedClip(padded);
  padded.fill(0);
  const seconds = speech.length / 16000;
  const from = (LEAD_S + 0.4) * 1000;
  const to = (LEAD_S + seconds + TAIL_S) * 1000;
  const seq = embs.filter((_, i) => embeddingEndMs(i) >= from && embeddingEndMs(i) <= to);
  if (seq.length < 3) throw new AgentError("ENROLL_REJECTED", `${name}: the phrase is too short to make a template`);
  return seq;
}

/** Adds white noise at `snrDb` relative to the speech's power (deterministic, from `seed`). */
function addNoise(x: Int16Array, speech: Int16Array, snrDb: number, seed: number): void {
  let p = 0;
  for (const v of speech) p += v * v;
  const rms = Math.sqrt(p / Math.max(1, speech.length)) / 10 ** (snrDb / 20);
  let s = seed >>> 0;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  for (let i = 0; i < x.length; i++) {
    const g = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    x[i] = Math.max(-32768, Math.min(32767, Math.round(x[i]! + g * rms)));
  }
}

/** The phrase's embeddings, from the clip trimmed to its speech and set in quiet padding. */
export async function clipTemplate(embedder: SpeechFeatures, vad: Vad, clip: Clip): Promise<Float32Array[]> {
  return phraseEmbeddings(embedder, clip.name, phraseOf(vad, clip));
}

/** Noise levels the threshold is calibrated against (dB SNR): a quiet and a busy room. */
const CALIBRATION_SNR_DB = [15, 8];

export async function enrollKeyword(embedder: SpeechFeatures, vad: Vad, clips: Clip[]): Promise<KeywordTemplates> {
  if (clips.length < MIN_CLIPS) throw new AgentError("ENROLL_REJECTED", `enrollment needs at least ${MIN_CLIPS} clips of the phrase; got ${clips.length}`);
  const templates: Float32Array[][] = [];
  const variants: Float32Array[][][] = [];
  for (const [i, c] of clips.entries()) {
    const speech = phraseOf(vad, c);
    templates.push(await phraseEmbeddings(embedder, c.name, speech));
    const noisy: Float32Array[][] = [];
    for (const [k, snrDb] of CALIBRATION_SNR_DB.entries()) noisy.push(await phraseEmbeddings(embedder, c.name, speech, { snrDb, seed: 1 + i * 31 + k }));
    variants.push(noisy);
  }
  return { templates, threshold: calibrate(templates, variants) };
}

export { loadTemplates, saveTemplates } from "./templates-file.ts";
