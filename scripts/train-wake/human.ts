/**
 * Human speech for the wake-word data: phrases joined from gcin-voice's recordings of every
 * Mandarin syllable (Debian `gcin-voice`, two human speakers, /usr/share/gcin-voice/ogg/<zhuyin><tone>/{3,5}.ogg).
 *
 * Isolated syllables are long and in citation form; a phrase is built the way people say one:
 * - durations: each syllable time-compressed (WSOLA, pitch kept) to a speaking rate drawn per
 *   take (four syllables in about 0.8–1.5 s for a wake phrase), the phrase-final one lengthened;
 * - third-tone sandhi (pinyin.ts: 你好 = ní hǎo);
 * - coarticulation: neighbouring syllables overlap by 15–50 ms with a raised-cosine cross-fade;
 * - a loudness contour: a little declination over the phrase, a softer last syllable, jitter;
 * - pitch: a declining contour around the take's pitch ratio.
 * Many speakers from two: every take has its own pitch ratio (resampling) and vocal-tract scale
 * (every LPC pole angle scaled: formants move, pitch stays; agent/privacy/mcadams.ts), so the
 * two recorded voices become hundreds of sizes and registers.
 *
 * Licences (see /usr/share/doc/gcin-voice/copyright): speaker "5" is ChionMeilin with the voice
 * of Chu Lo, CC-BY-3.0; speaker "3" is Edward Der-Hua Liu, GPL-3 or LGPL-3. The shipped weights
 * are trained on speaker 5 only (its licence allows a sold product with attribution, docs/wake-word.md);
 * speaker 3 is the held-out test voice.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { resample } from "../../agent/audio/convert.ts";
import type { Complex } from "../../agent/privacy/lpc.ts";
import { poleWarp } from "../../agent/privacy/mcadams.ts";
import { rng, uniform, type Rng } from "./augment.ts";
import { gcinName, syllablesOf, type Syllable } from "./pinyin.ts";
import { speechBounds } from "./synth.ts";

export const HUMAN_PREFIX = "gcin-";
export type HumanSpeaker = "3" | "5";
export const HUMAN_SPEAKERS: readonly HumanSpeaker[] = ["3", "5"];
export const HUMAN_LICENCE: Readonly<Record<HumanSpeaker, string>> = {
  "3": "gcin-voice speaker 3 (Edward Der-Hua Liu), GPL-3 or LGPL-3",
  "5": "gcin-voice speaker 5 (ChionMeilin, voice of Chu Lo), CC-BY-3.0",
};

/** How one take is said: who, at what pitch (ratio to the recording), tract scale and rate. */
export interface HumanTake {
  speaker: HumanSpeaker;
  /** Pitch ratio to the recording (1 = as recorded). */
  pitch: number;
  /** Vocal-tract scale: formant frequencies × this (1 = as recorded). */
  tract: number;
  /** Syllables per second. */
  rate: number;
}

/**
 * Median speaking pitch of each recording (Hz; autocorrelation over the voiced frames of the
 * keywords' syllables): speaker 3 is a low man's voice, speaker 5 a high woman's.
 */
export const RECORDED_F0: Readonly<Record<HumanSpeaker, number>> = { "3": 116, "5": 372 };
/** Speaking pitch of the made-up people (Hz): low men to children. */
export const PERSON_F0: readonly [number, number] = [85, 330];
/** Pitch ratios past these leave too little spectrum (down) or too few harmonics (up) to sound like a voice. */
const PITCH_RATIO: readonly [number, number] = [0.45, 2.2];

/**
 * A random person (and their take), from a seeded stream. The person's pitch is drawn over
 * PERSON_F0 (log-uniform), as far as PITCH_RATIO lets the recording go, so both recordings
 * become men, women and children rather than variants of one register; the vocal tract follows
 * the pitch (formants rise about a fifth as fast as pitch from men to women and children) with
 * ±7 % of its own.
 */
export function randomTake(r: Rng, speaker: HumanSpeaker, rate: [number, number] = [2.7, 5]): HumanTake {
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  const f0 = RECORDED_F0[speaker];
  const lo = Math.max(PERSON_F0[0], f0 * PITCH_RATIO[0]);
  const hi = Math.min(PERSON_F0[1], f0 * PITCH_RATIO[1]);
  const pitch = 2 ** uniform(r, Math.log2(lo), Math.log2(hi)) / f0;
  const tract = pitch ** 0.22 * uniform(r, 0.93, 1.07);
  return { speaker, pitch: round(pitch), tract: round(tract), rate: round(uniform(r, rate[0], rate[1])) };
}

const SR = 16000;

export function gcinDir(): string {
  return process.env.SPA_GCIN_VOICE_DIR ?? "/usr/share/gcin-voice/ogg";
}

/** Whether the recordings are here; else what to install. */
export function humanVoicesMissing(): string | null {
  const dir = gcinDir();
  if (!existsSync(join(dir, "ㄊㄧㄢ", "5.ogg")) || !existsSync(join(dir, "ㄊㄧㄢ", "3.ogg")))
    return `human syllable recordings not found under ${dir}: install Debian's gcin-voice (apt-get install gcin-voice) or set SPA_GCIN_VOICE_DIR`;
  return null;
}

/** Tones to try, in order, when a recording of the wanted tone is missing (neutral tones, sandhi). */
const FALLBACK: Readonly<Record<number, readonly number[]>> = { 1: [1, 4, 2, 3], 2: [2, 3, 1, 4], 3: [3, 2, 1, 4], 4: [4, 1, 2, 3], 5: [5, 1, 4, 2, 3] };

const decoded = new Map<string, Promise<Float32Array | null>>();
export const humanStats = { syllables: 0, fallbacks: 0, missing: 0 };

/** One recording decoded by sox to 16 kHz mono float, silence trimmed; null if there is none. */
function recording(speaker: HumanSpeaker, name: string): Promise<Float32Array | null> {
  const key = `${speaker}/${name}`;
  let p = decoded.get(key);
  if (!p) {
    const file = join(gcinDir(), name, `${speaker}.ogg`);
    p = existsSync(file) ? decode(file) : Promise.resolve(null);
    decoded.set(key, p);
  }
  return p;
}

function decode(file: string): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const sx = spawn("sox", ["-R", "-q", file, "-t", "raw", "-r", String(SR), "-c", "1", "-b", "16", "-e", "signed-integer", "-", "highpass", "60"]);
    const parts: Buffer[] = [];
    const errs: string[] = [];
    sx.stdout.on("data", (d: Buffer) => parts.push(d));
    sx.stderr.on("data", (d: Buffer) => errs.push(d.toString().trim()));
    sx.on("error", (e) => reject(new Error(`sox: ${e.message} (apt-get install sox)`)));
    sx.on("close", (code) => {
      if (code !== 0) return reject(new Error(`sox could not decode ${file}: ${errs.join("; ")} (Ogg Vorbis is in libsox-fmt-base)`));
      const b = Buffer.concat(parts);
      const s = new Float32Array(b.length >> 1);
      for (let i = 0; i < s.length; i++) s[i] = b.readInt16LE(i * 2) / 32768;
      resolve(trimFloat(s));
    });
  });
}

/** Cuts leading and trailing 10 ms blocks whose peak is below 2 % of the clip's peak. */
export function trimFloat(s: Float32Array): Float32Array {
  const [a, z] = speechBounds(s, 0.02);
  return s.slice(a, z);
}

/** The recording of a syllable by a speaker, with the nearest tone when that tone was not recorded. */
async function syllableAudio(speaker: HumanSpeaker, s: Syllable): Promise<{ audio: Float32Array; exact: boolean } | null> {
  for (const tone of FALLBACK[s.tone]!) {
    const name = gcinName({ base: s.base, tone: tone as Syllable["tone"] });
    if (!name) return null;
    const a = await recording(speaker, name);
    if (a && a.length > 800) return { audio: a, exact: tone === s.tone };
  }
  return null;
}

/**
 * WSOLA time-scaling to outLen samples with the pitch kept: 30 ms Hann frames overlap-added every
 * 15 ms, each taken from within ±8 ms of its nominal place where it best continues the last one.
 */
export function wsola(x: Float32Array, outLen: number): Float32Array {
  const N = 480;
  const Hs = N / 2;
  const tol = 128;
  if (x.length < N + 2 * tol || outLen < N) return resample(x, x.length, outLen).subarray(0, outLen);
  const win = Float32Array.from({ length: N }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N));
  const out = new Float32Array(outLen + N);
  const frames = Math.ceil(outLen / Hs);
  const Ha = (x.length - N) / Math.max(1, frames - 1);
  let prev = 0;
  for (let k = 0; k < frames; k++) {
    const nominal = Math.round(k * Ha);
    let best = Math.min(Math.max(0, nominal), x.length - N);
    if (k > 0) {
      const nat = prev + Hs;
      let bestC = -Infinity;
      const lo = Math.max(0, nominal - tol);
      const hi = Math.min(x.length - N, nominal + tol);
      for (let c = lo; c <= hi; c += 2) {
        let acc = 0;
        for (let i = 0; i < N; i += 4) if (nat + i < x.length) acc += x[c + i]! * x[nat + i]!;
        if (acc > bestC) {
          bestC = acc;
          best = c;
        }
      }
    }
    for (let i = 0; i < N; i++) out[k * Hs + i] = out[k * Hs + i]! + x[best + i]! * win[i]!;
    prev = best;
  }
  return out.subarray(0, outLen);
}

/**
 * Every pole angle × k up to 0.97 π (formants move in proportion, as in a longer or shorter vocal
 * tract). Unlike the de-identification warp (mcadams.ts scalePoles, which bends above 0.7 π and so
 * moves formants by at most 1.36), this reaches the factors a pitch ratio of 0.45 needs.
 */
function tractScale(poles: Complex[], k: number): Complex[] {
  return poles.map(([re, im]) => {
    if (Math.abs(im) < 1e-12) return [re, im];
    const r = Math.min(Math.hypot(re, im), 0.9995);
    const moved = Math.min(Math.abs(Math.atan2(im, re)) * k, 0.97 * Math.PI) * Math.sign(im);
    return [r * Math.cos(moved), r * Math.sin(moved)];
  });
}

/** A stable seed from a text and a take: the same words by the same take sound the same. */
function seedOf(text: string, take: HumanTake, salt: number): number {
  return createHash("sha256")
    .update(`${text}\0${JSON.stringify(take)}\0${salt}`)
    .digest()
    .readUInt32LE(0);
}

/**
 * Says a Chinese text as the given take: 16 kHz mono s16 (like synth.ts), ready for a scene.
 * Characters with no recording are skipped (counted in humanStats.missing). `salt` varies
 * the prosody between takes of the same text by the same person.
 */
export async function humanSpeak(text: string, take: HumanTake, salt = 0): Promise<Int16Array> {
  const r = rng(seedOf(text, take, salt));
  const syl = syllablesOf(text);
  const pieces: Array<{ audio: Float32Array; pauseAfter: boolean } | null> = [];
  for (let i = 0; i < syl.length; i++) {
    const s = syl[i];
    if (!s) continue;
    const got = await syllableAudio(take.speaker, s);
    humanStats.syllables++;
    if (!got) {
      humanStats.missing++;
      continue;
    }
    if (!got.exact) humanStats.fallbacks++;
    pieces.push({ audio: got.audio, pauseAfter: syl[i + 1] === null });
  }
  const units = pieces.filter((p): p is NonNullable<typeof p> => p !== null);
  if (!units.length) return new Int16Array(0);
  const meanLen = units.reduce((a, u) => a + u.audio.length, 0) / units.length;
  const base = SR / take.rate;
  const parts: Float32Array[] = [];
  const overlaps: number[] = [];
  const gaps: number[] = [];
  units.forEach((u, i) => {
    const last = i === units.length - 1 || u.pauseAfter;
    const pos = units.length > 1 ? i / (units.length - 1) : 0;
    const dur = Math.round(base * Math.sqrt(u.audio.length / meanLen) * uniform(r, 0.88, 1.12) * (last ? uniform(r, 1.1, 1.3) : 1));
    // Pitch: the take's ratio, declining by up to 6 % over the phrase, a little jitter.
    const p = take.pitch * (1 - 0.06 * pos) * uniform(r, 0.98, 1.02);
    const stretched = wsola(u.audio, Math.max(160, Math.round(dur * p)));
    const shifted = resample(stretched, Math.round(SR * p), SR);
    const gainDb = -2 * pos - (last ? uniform(r, 0, 2) : 0) + uniform(r, -1.5, 1.5);
    const g = 10 ** (gainDb / 20);
    for (let k = 0; k < shifted.length; k++) shifted[k] = shifted[k]! * g;
    parts.push(shifted);
    overlaps.push(Math.round(uniform(r, 0.015, 0.05) * SR));
    gaps.push(u.pauseAfter && i < units.length - 1 ? Math.round(uniform(r, 0.18, 0.45) * SR) : 0);
  });
  // Join: a pause at a phrase break, otherwise a raised-cosine cross-fade into the next syllable.
  const y0 = new Float32Array(parts.reduce((n, p, i) => n + p.length + gaps[i]!, 0));
  let at = 0;
  parts.forEach((p, i) => {
    const ov = i > 0 && !gaps[i - 1] ? Math.min(overlaps[i - 1]!, p.length, parts[i - 1]!.length, at) : 0;
    const start = at - ov;
    for (let k = 0; k < p.length; k++) {
      const fade = k < ov ? 0.5 - 0.5 * Math.cos((Math.PI * k) / ov) : 1;
      y0[start + k] = y0[start + k]! * (1 - fade) + p[k]! * fade;
    }
    at = start + p.length + gaps[i]!;
  });
  const y = y0.subarray(0, Math.max(1, at));
  // Vocal tract: the resampling moved formants by the pitch ratio too; scale them to the take's tract.
  const k = take.tract / take.pitch;
  const voiced = Math.abs(k - 1) < 0.01 ? y : poleWarp(y, (poles) => tractScale(poles, k)).audio;
  const out = new Int16Array(voiced.length);
  let peak = 1e-9;
  for (const v of voiced) peak = Math.max(peak, Math.abs(v));
  const g = 0.7 / peak;
  for (let i = 0; i < out.length; i++) out[i] = Math.round(voiced[i]! * g * 32767);
  return out;
}
