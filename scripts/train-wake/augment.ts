/** Audio augmentation for training data: noise at a given SNR, reverb, gain, clipping. Seeded. */

import { seededRandom, type Rng } from "../../agent/adapters/seeded-random.ts";

export type { Rng };
/** The training data's seeded stream (mulberry32, shared with `spa voice anonymize --seed`). */
export const rng = seededRandom;

export const uniform = (r: Rng, a: number, b: number): number => a + (b - a) * r();
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
/** Fisher–Yates, in place (both trainers' epochs). */
export function shuffle<T>(xs: T[], r: Rng): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}

const gauss = (r: Rng): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

export function whiteNoise(n: number, r: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = gauss(r);
  return out;
}

/** Pink (1/f) noise by Paul Kellet's filter over white noise. */
export function pinkNoise(n: number, r: Rng): Float32Array {
  const out = new Float32Array(n);
  let b0 = 0,
    b1 = 0,
    b2 = 0,
    b3 = 0,
    b4 = 0,
    b5 = 0,
    b6 = 0;
  for (let i = 0; i < n; i++) {
    const w = gauss(r);
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return out;
}

/** Music-like tones: a few sustained harmonic notes with envelopes. */
export function tones(n: number, r: Rng): Float32Array {
  const out = new Float32Array(n);
  let pos = 0;
  while (pos < n) {
    const len = Math.floor(uniform(r, 0.15, 0.6) * 16000);
    const f0 = 110 * 2 ** (Math.floor(uniform(r, 0, 36)) / 12);
    for (let i = 0; i < len && pos + i < n; i++) {
      const env = Math.min(1, i / 400) * Math.exp((-3 * i) / len);
      let v = 0;
      for (let h = 1; h <= 4; h++) v += Math.sin((2 * Math.PI * f0 * h * i) / 16000) / h;
      out[pos + i] = out[pos + i]! + v * env;
    }
    pos += len;
  }
  return out;
}

const rms = (x: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / Math.max(1, x.length)) || 1e-9;
};

/** signal + noise scaled to the given SNR (dB), over the signal's length. */
export function mixAtSnr(signal: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  const out = new Float32Array(signal.length);
  const k = rms(signal) / (rms(noise.subarray(0, signal.length)) * 10 ** (snrDb / 20));
  for (let i = 0; i < signal.length; i++) out[i] = signal[i]! + k * noise[i % noise.length]!;
  return out;
}

/** A small Schroeder reverb (4 combs, 2 all-passes), wet/dry from the room size. O(n). */
export function reverb(x: Float32Array, r: Rng): Float32Array {
  const room = uniform(r, 0.3, 0.85);
  const combs = [1116, 1188, 1277, 1356].map((d) => Math.floor(d * uniform(r, 0.9, 1.1)));
  const wet = new Float32Array(x.length);
  for (const d of combs) {
    const buf = new Float32Array(d);
    let idx = 0;
    for (let i = 0; i < x.length; i++) {
      const y = buf[idx]!;
      buf[idx] = x[i]! + y * room;
      wet[i] = wet[i]! + y / combs.length;
      idx = (idx + 1) % d;
    }
  }
  for (const d of [225, 556]) {
    const buf = new Float32Array(d);
    let idx = 0;
    for (let i = 0; i < wet.length; i++) {
      const b = buf[idx]!;
      const y = -wet[i]! + b;
      buf[idx] = wet[i]! + b * 0.5;
      wet[i] = y;
      idx = (idx + 1) % d;
    }
  }
  const mix = uniform(r, 0.2, 0.5);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (1 - mix) * x[i]! + mix * wet[i]!;
  return out;
}

/** Filters in place with one biquad section (direct form I); coefficients normalised by a0. */
function biquad(x: Float32Array, b: [number, number, number], a: [number, number, number]): void {
  const [b0, b1, b2] = b.map((v) => v / a[0]) as [number, number, number];
  const a1 = a[1] / a[0];
  const a2 = a[2] / a[0];
  let x1 = 0,
    x2 = 0,
    y1 = 0,
    y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]!;
    const y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x0;
    y2 = y1;
    y1 = y0;
    x[i] = y0;
  }
}

/**
 * A random recording channel (the formulas are R. Bristow-Johnson's Audio EQ Cookbook): a
 * second-order high-pass at 70–300 Hz (small capsules and enclosures lose the bass), a low-pass
 * at 3.4–7.5 kHz (codecs, cheap capsules, distance) and one peak or dip of up to ±8 dB at
 * 0.3–4 kHz (enclosure resonances). Speech synthesis has one flat channel; real microphones,
 * rooms and voices do not, and the detector must not learn the synthesiser's.
 */
export function channel(input: Float32Array, r: Rng, sampleRate = 16000): Float32Array {
  const x = Float32Array.from(input);
  const w = (f: number): [number, number] => [Math.cos((2 * Math.PI * f) / sampleRate), Math.sin((2 * Math.PI * f) / sampleRate)];
  const hp = w(uniform(r, 70, 300));
  const aq = hp[1] / (2 * Math.SQRT1_2);
  biquad(x, [(1 + hp[0]) / 2, -(1 + hp[0]), (1 + hp[0]) / 2], [1 + aq, -2 * hp[0], 1 - aq]);
  const lp = w(uniform(r, 3400, 7500));
  const al = lp[1] / (2 * Math.SQRT1_2);
  biquad(x, [(1 - lp[0]) / 2, 1 - lp[0], (1 - lp[0]) / 2], [1 + al, -2 * lp[0], 1 - al]);
  const pk = w(300 * (4000 / 300) ** r());
  const A = 10 ** (uniform(r, -8, 8) / 40);
  const ap = pk[1] / (2 * uniform(r, 0.7, 2.5));
  biquad(x, [1 + ap * A, -2 * pk[0], 1 - ap * A], [1 + ap / A, -2 * pk[0], 1 - ap / A]);
  return x;
}

/** Scales to a peak level (dBFS); optionally drives it into hard clipping. */
export function toInt16(x: Float32Array, peakDb: number, clip: boolean): Int16Array {
  let peak = 1e-9;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  const g = ((32767 * 10 ** (peakDb / 20)) / peak) * (clip ? 2.5 : 1);
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(x[i]! * g)));
  return out;
}

export const toFloat = (s: Int16Array): Float32Array => Float32Array.from(s, (v) => v / 32768);
