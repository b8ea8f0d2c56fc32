/**
 * Scene specifications and evaluation for the wake-word detector, shared by scripts/train-wake
 * and the benchmark. Evaluation replays each scene's embeddings through the engine's own
 * decision rule (WakeDecider), so the numbers are the engine's.
 */
import { KEYWORDS, type Keyword } from "../../agent/ports/wake-engine.ts";
import { forward, WakeDecider, type WakeModel } from "../../agent/wake/classifier.ts";
import { pick, uniform } from "./augment.ts";
import { KEYWORD_TEXT, NEAR_MISSES, syllableStrings } from "./corpus.ts";
import { embeddingEndSec, levelsOf, type Condition, type Level, type Scene, type SceneSpec } from "./dataset.ts";
import { HUMAN_PREFIX, randomTake, type HumanSpeaker } from "./human.ts";
import type { Voice } from "./synth.ts";

/**
 * One take by a voice: speed 110–260, pitch 10–95 and, for 60 % of the takes, a vocal-tract
 * scale of 0.88–1.15 (made-up speakers already have their own tract, so they skip it).
 */
function take(r: () => number, variant: string, lang: "cmn" | "en" = "cmn", scaleTract = true): Voice {
  const v: Voice = { lang, variant, speed: Math.round(uniform(r, 110, 260)), pitch: Math.round(uniform(r, 10, 95)), formant: 1 };
  if (scaleTract) v.formant = r() < 0.6 ? Math.round(uniform(r, 0.88, 1.15) * 1000) / 1000 : 1;
  return v;
}

export interface Texts {
  sentences: string[];
  english: string[];
  nearMisses: string[];
  /** One-syllable substitutions of the keywords (corpus.ts), specified last. */
  substitutions: string[];
}

/**
 * The scenes of one data set. Negatives are everyday sentences, conversations (several sentences
 * in a row: long stretches of speech, the bulk of what a speaker hears), random syllable strings
 * over the sentences' characters and the keywords' own, near-miss phrases, English, noise and
 * music-like tones.
 */
export function specs(voices: string[], texts: Texts, r: () => number, scale: number, conditions: Condition[], randomVoices: string[] = []): SceneSpec[] {
  const out: SceneSpec[] = [];
  // Negatives are spoken by the same mix of voices as the positives (real variants and made-up
  // speakers), so that an unusual voice is never evidence of a keyword.
  const speakers = [...voices, ...randomVoices];
  const voice = (lang: "cmn" | "en" = "cmn"): Voice => take(r, pick(r, speakers), lang);
  const cond = (): Condition => pick(r, conditions);
  const s = (): number => Math.floor(r() * 2 ** 31);
  for (const v of voices)
    for (const k of KEYWORDS)
      for (let n = 0; n < scale * 2; n++) {
        const spec: SceneSpec = { kind: "positive", keyword: k, text: KEYWORD_TEXT[k], voice: take(r, v), condition: cond(), seed: s() };
        if (r() < 0.3) spec.leadText = pick(r, texts.sentences);
        // Most wakes are followed by a request: the windows right after the keyword then hear it.
        if (r() < 0.5) spec.tailText = pick(r, texts.sentences);
        out.push(spec);
      }
  // Made-up speakers: fewer takes each, many more speakers.
  for (const v of randomVoices)
    for (const k of KEYWORDS) {
      const spec: SceneSpec = { kind: "positive", keyword: k, text: KEYWORD_TEXT[k], voice: take(r, v, "cmn", false), condition: cond(), seed: s() };
      if (r() < 0.5) spec.tailText = pick(r, texts.sentences);
      out.push(spec);
    }
  const random = randomVoices.length ? 1 + randomVoices.length / Math.max(1, voices.length) / (scale * 2) : 1;
  for (const t of texts.sentences)
    for (let n = 0; n < Math.round((scale + 2) * random); n++) out.push({ kind: "sentence", text: t, voice: voice(), condition: cond(), seed: s() });
  for (const t of texts.nearMisses)
    for (let n = 0; n < Math.round(scale * 3 * random); n++) out.push({ kind: "near-miss", text: t, voice: voice(), condition: cond(), seed: s() });
  for (const t of texts.english)
    for (let n = 0; n < Math.max(1, scale); n++) out.push({ kind: "english", text: t, voice: voice("en"), condition: cond(), seed: s() });
  for (let n = 0; n < scale * 8; n++) out.push({ kind: pick(r, ["noise", "music"] as const), text: "", voice: voice(), condition: "clean", seed: s() });
  out.push(...conversations(speakers, texts.sentences, r, scale * 15, conditions));
  for (const t of syllableStrings(texts.sentences, scale * 30, r)) out.push({ kind: "sentence", text: t, voice: voice(), condition: cond(), seed: s() });
  // Last, so that data sets with and without them share every other scene (and the cache).
  for (const t of texts.substitutions)
    for (let n = 0; n < scale * 3; n++) out.push({ kind: "near-miss", text: t, voice: voice(), condition: cond(), seed: s() });
  return out;
}

/** A human take as a scene's voice. */
export function humanVoice(r: () => number, speaker: HumanSpeaker, rate?: [number, number]): Voice {
  return { lang: "cmn", variant: `${HUMAN_PREFIX}${speaker}`, speed: 175, pitch: 50, human: randomTake(r, speaker, rate) };
}

export interface HumanSetOptions {
  /** People (random pitch, tract and rate) saying each keyword once each. */
  persons: number;
  /** Noise conditions and, optionally, the SNRs (dB) every noisy condition is built at. */
  conditions: Condition[];
  snrs?: number[];
  /** Repetitions of each near-miss phrase, of each sentence; counts of conversations and syllable strings. */
  nearMissTakes: number;
  sentenceTakes: number;
  conversations: number;
  syllableStrings: number;
  /** Babble voices (espeak-ng variants) behind this speaker. */
  babble: string[];
}

/**
 * Scenes spoken by one human speaker (human.ts): each keyword by many made-up people, with a
 * sentence before it now and then and a request after it half of the time; negatives are the
 * near-miss phrases, everyday sentences, conversations (six sentences in a row at a conversational
 * rate) and random syllable strings over the sentences' characters and the keywords' own.
 * With `snrs`, every noisy condition is built once at each SNR and "clean" once (quiet).
 */
export function humanSpecs(speaker: HumanSpeaker, texts: Omit<Texts, "english">, r: () => number, o: HumanSetOptions): SceneSpec[] {
  const out: SceneSpec[] = [];
  const s = (): number => Math.floor(r() * 2 ** 31);
  const levels = levelsOf(o.conditions, o.snrs);
  const base = (): Pick<SceneSpec, "condition" | "snrDb" | "babble" | "seed"> => {
    const l = pick(r, levels);
    return { ...l, babble: o.babble, seed: s() };
  };
  for (let p = 0; p < o.persons; p++)
    for (const k of KEYWORDS) {
      const voice = humanVoice(r, speaker);
      const phrase = (l: Level): SceneSpec => {
        const spec: SceneSpec = { kind: "positive", keyword: k, text: KEYWORD_TEXT[k], voice, ...l, babble: o.babble, seed: s() };
        if (r() < 0.3) spec.leadText = pick(r, texts.sentences);
        if (r() < 0.5) spec.tailText = pick(r, texts.sentences);
        return spec;
      };
      // With fixed SNRs every person says it in every condition (the per-condition table); otherwise once.
      if (o.snrs) for (const l of levels) out.push(phrase(l));
      else out.push(phrase(base()));
    }
  const sentenceVoice = (): Voice => humanVoice(r, speaker, [3.5, 5.5]);
  for (const t of [...texts.nearMisses, ...texts.substitutions])
    for (let n = 0; n < o.nearMissTakes; n++) out.push({ kind: "near-miss", text: t, voice: humanVoice(r, speaker), ...base() });
  for (const t of texts.sentences) for (let n = 0; n < o.sentenceTakes; n++) out.push({ kind: "sentence", text: t, voice: sentenceVoice(), ...base() });
  for (let n = 0; n < o.conversations; n++) {
    const said = Array.from({ length: 6 }, () => pick(r, texts.sentences));
    out.push({ kind: "sentence", text: said.join("。"), voice: sentenceVoice(), ...base() });
  }
  for (const t of syllableStrings(texts.sentences, o.syllableStrings, r)) out.push({ kind: "sentence", text: t, voice: sentenceVoice(), ...base() });
  return out;
}

/**
 * The human held-out set of the training script and of the bench: `persons` people saying each
 * keyword in quiet and in every noise condition at 15, 10 and 5 dB SNR; every near-miss phrase
 * twice, every sentence three times, `conversations` conversations (about 11 s each) and 200
 * syllable strings; babble behind them by the given (held-out) espeak-ng voices.
 */
export const HUMAN_LEVELS: { conditions: Condition[]; snrs: number[] } = {
  conditions: ["clean", "white", "pink", "babble", "music", "reverb"],
  snrs: [15, 10, 5],
};
export const HUMAN_EVAL = (persons: number, conversations: number, babble: string[]): HumanSetOptions => ({
  persons,
  ...HUMAN_LEVELS,
  nearMissTakes: 2,
  sentenceTakes: 3,
  conversations,
  syllableStrings: persons > 4 ? 200 : 20,
  babble,
});

/** Conversations: six sentences in a row by one voice, about 13 s each, everyday negatives. */
export function conversations(voices: string[], sentences: string[], r: () => number, count: number, conditions: Condition[]): SceneSpec[] {
  return Array.from({ length: count }, () => {
    const said = Array.from({ length: 6 }, () => pick(r, sentences));
    return {
      kind: "sentence" as const,
      text: said.join("。"),
      voice: take(r, pick(r, voices)),
      condition: pick(r, conditions),
      seed: Math.floor(r() * 2 ** 31),
    };
  });
}

/** Scores of every window of every scene, computed once. */
export function scoresOf(m: WakeModel, scenes: Scene[]): number[][][] {
  const x = new Float32Array(m.window * m.dim);
  return scenes.map((s) => {
    const out: number[][] = [];
    for (let i = 0; i < s.embeddings.length; i++) {
      if (i < m.window - 1) {
        out.push(m.heads.map(() => 0));
        continue;
      }
      for (let k = 0; k < m.window; k++) {
        const e = s.embeddings[i - m.window + 1 + k]!;
        for (let d = 0; d < m.dim; d++) x[k * m.dim + d] = (e[d]! - m.mean[d]!) / m.std[d]!;
      }
      out.push(forward(m, x));
    }
    return out;
  });
}

export interface Report {
  detection: Record<string, number>;
  byCondition: Record<string, number>;
  wrongKeyword: number;
  falseWakesPerHour: number;
  falseWakes: number;
  negativeHours: number;
  nearMissFalseWakes: number;
  nearMissScenes: number;
  /** Near-misses that are one-syllable substitutions of a keyword (a subset of the above). */
  substitutionFalseWakes: number;
  substitutionScenes: number;
  /** False wakes per hour of the negatives other than near-miss phrases (everyday audio). */
  everydayFalseWakesPerHour: number;
  everydayHours: number;
  /** Which texts woke the detector, and how often (the worst first). */
  falseWakeTexts: Record<string, number>;
  /** Detection by noise level, where scenes were built at fixed SNRs: "quiet", "15 dB", … */
  bySnr: Record<string, number>;
  /** Per near-miss phrase: scenes that woke the detector, of how many. */
  nearMissByPhrase: Record<string, [number, number]>;
}

/** Evaluates with the engine's WakeDecider on precomputed scores. */
export function evaluate(m: WakeModel, scenes: Scene[], scores: number[][][]): Report {
  return tally(scenes, (_s, si) => {
    const d = new WakeDecider(m);
    const hits: Array<{ keyword: Keyword; atMs: number }> = [];
    scores[si]!.forEach((sc, i) => {
      if (i < m.window - 1) return;
      const h = d.decide(sc, embeddingEndSec(i) * 1000);
      if (h) hits.push(h);
    });
    return hits;
  });
}

/** Evaluates any embedding decider (e.g. with a second stage) on the scenes' embeddings. */
export function evaluateWith(
  scenes: Scene[],
  decider: (sceneIndex: number) => { push(e: Float32Array, atMs: number): { keyword: Keyword; atMs: number } | null },
): Report {
  return tally(scenes, (s, si) => {
    const d = decider(si);
    const hits: Array<{ keyword: Keyword; atMs: number }> = [];
    s.embeddings.forEach((e, i) => {
      const h = d.push(e, embeddingEndSec(i) * 1000);
      if (h) hits.push(h);
    });
    return hits;
  });
}

const LISTED_NEAR_MISSES: ReadonlySet<string> = new Set(NEAR_MISSES);

function tally(scenes: Scene[], hitsOf: (s: Scene, si: number) => Array<{ keyword: Keyword; atMs: number }>): Report {
  const det: Record<string, [number, number]> = {};
  const cond: Record<string, [number, number]> = {};
  let wrong = 0;
  let fw = 0;
  let negSec = 0;
  let nearFw = 0;
  let nearN = 0;
  let nearSec = 0;
  let subFw = 0;
  let subN = 0;
  const texts: Record<string, number> = {};
  const snr: Record<string, [number, number]> = {};
  const phrases: Record<string, [number, number]> = {};
  scenes.forEach((s, si) => {
    const hits = hitsOf(s, si);
    if (s.kind === "positive") {
      const ok = hits.some((h) => h.keyword === s.keyword && h.atMs / 1000 >= s.kwStart! && h.atMs / 1000 <= s.kwEnd! + 1.0);
      if (hits.some((h) => h.keyword !== s.keyword)) wrong++;
      const a = (det[s.keyword!] ??= [0, 0]);
      a[0] += ok ? 1 : 0;
      a[1]++;
      const c = (cond[s.snrDb !== undefined ? `${s.condition} ${s.snrDb} dB` : s.condition] ??= [0, 0]);
      c[0] += ok ? 1 : 0;
      c[1]++;
      const l = (snr[s.snrDb !== undefined ? `${s.snrDb} dB` : s.condition === "clean" ? "quiet" : "random"] ??= [0, 0]);
      l[0] += ok ? 1 : 0;
      l[1]++;
    } else {
      fw += hits.length;
      if (hits.length) texts[s.text || s.kind] = (texts[s.text || s.kind] ?? 0) + hits.length;
      negSec += s.seconds;
      if (s.kind === "near-miss") {
        nearN++;
        nearFw += hits.length;
        nearSec += s.seconds;
        const ph = (phrases[s.text] ??= [0, 0]);
        ph[0] += hits.length ? 1 : 0;
        ph[1]++;
        if (!LISTED_NEAR_MISSES.has(s.text)) {
          subN++;
          subFw += hits.length;
        }
      }
    }
  });
  const pct = (o: Record<string, [number, number]>): Record<string, number> =>
    Object.fromEntries(Object.entries(o).map(([k, [a, b]]) => [k, Math.round((1000 * a) / b) / 10]));
  return {
    detection: pct(det),
    byCondition: pct(cond),
    wrongKeyword: wrong,
    falseWakesPerHour: Math.round((fw / (negSec / 3600)) * 100) / 100,
    falseWakes: fw,
    negativeHours: Math.round((negSec / 3600) * 1000) / 1000,
    nearMissFalseWakes: nearFw,
    nearMissScenes: nearN,
    substitutionFalseWakes: subFw,
    substitutionScenes: subN,
    everydayFalseWakesPerHour: Math.round(((fw - nearFw) / Math.max(1e-9, (negSec - nearSec) / 3600)) * 100) / 100,
    everydayHours: Math.round(((negSec - nearSec) / 3600) * 1000) / 1000,
    falseWakeTexts: Object.fromEntries(Object.entries(texts).sort((a, b) => b[1] - a[1])),
    bySnr: pct(snr),
    nearMissByPhrase: phrases,
  };
}
