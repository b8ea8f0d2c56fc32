/**
 * McAdams-coefficient voice modification, the VoicePrivacy Challenge 2020 B2 baseline:
 * 20 ms sqrt-Hann frames every 10 ms; per frame an order-20 Burg LPC; every complex pole's
 * angle φ becomes sign(φ)|φ|^α with its magnitude kept (formants move, the speaker's vocal-tract
 * signature with them); the frame's residual (through the inverse filter A) is resynthesised
 * through the new all-pole filter; windowed again and overlap-added; peak-normalised.
 *
 * Differences from the reference script, all for robustness or fidelity: the signal is padded
 * by a frame at both ends so its first and last 20 ms are reconstructed too (the reference
 * skips frame 0); frames of digital silence are left silent instead of adding machine epsilon;
 * the output peak is set to the input's peak (not to full scale), so α = 1 gives the input back
 * and nothing clips; a frame whose roots cannot be found is muted, never passed through.
 * Pure functions: α comes in (drawn by the caller from a CSPRNG), nothing is stored.
 */
import { burg, inverseFilter, polyFromRoots, polyRoots, synthesisFilter, type Complex } from "./lpc.ts";

export const MCADAMS = { method: "mcadams-b2", version: 1 } as const;

export interface McAdamsOptions {
  sampleRate?: number;
  frameMs?: number;
  hopMs?: number;
  order?: number;
}

export interface McAdamsResult {
  audio: Float32Array;
  /** Frames muted because their LPC roots could not be found (normally 0). */
  mutedFrames: number;
}

/** Poles stay strictly inside the unit circle so the synthesis filter is stable. */
const MAX_POLE_RADIUS = 0.9995;

/** Moves each complex pole's angle φ to sign(φ)|φ|^α, clamped to [0, π]; magnitudes kept. */
export function warpPoles(poles: Complex[], alpha: number): Complex[] {
  return poles.map(([re, im]) => {
    const r = Math.min(Math.hypot(re, im), MAX_POLE_RADIUS);
    const phi = Math.atan2(im, re);
    // Real poles (angle 0 or π) stay where they are, as in the reference.
    if (Math.abs(im) < 1e-12) return [Math.sign(re) * r, 0];
    const moved = Math.min(Math.PI, Math.abs(phi) ** alpha) * Math.sign(phi);
    return [r * Math.cos(moved), r * Math.sin(moved)];
  });
}

/** Frames processed between yields of mcadamsSteps (about 5 ms of work for 0.25 s of audio). */
export const FRAMES_PER_STEP = 25;

/** The whole transform at once (tools, tests). */
export function mcadams(input: Float32Array, alpha: number, o: McAdamsOptions = {}): McAdamsResult {
  return drain(mcadamsSteps(input, alpha, o));
}

/** Runs a stepped transform to its end. */
function drain<T>(it: Generator<void, T>): T {
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}

/**
 * The transform as a generator that yields every FRAMES_PER_STEP frames, so the agent can give
 * the event loop back between steps: a long capture being modified must not delay a mute.
 */
export function* mcadamsSteps(input: Float32Array, alpha: number, o: McAdamsOptions = {}): Generator<void, McAdamsResult> {
  if (!(alpha > 0 && alpha <= 2)) throw new RangeError(`McAdams coefficient must be in (0, 2], got ${alpha}`);
  return yield* poleWarpSteps(input, alpha === 1 ? null : (poles) => warpPoles(poles, alpha), o);
}

/**
 * Scales every formant by k, as a vocal tract shorter (k > 1) or longer (k < 1) would move them,
 * with the pitch left alone: each complex pole's angle φ below 0.7π moves to k·φ, and the band
 * above it is mapped linearly onto what is left up to π (so no pole piles up at Nyquist).
 * Magnitudes kept. Used to make many speakers out of few recordings (scripts/train-wake).
 */
export function scalePoles(poles: Complex[], k: number): Complex[] {
  const knee = 0.7 * Math.PI;
  const top = Math.min(knee * k, 0.95 * Math.PI);
  return poles.map(([re, im]) => {
    const r = Math.min(Math.hypot(re, im), MAX_POLE_RADIUS);
    if (Math.abs(im) < 1e-12) return [Math.sign(re) * r, 0];
    const phi = Math.abs(Math.atan2(im, re));
    const moved = (phi <= knee ? (phi * top) / knee : top + ((phi - knee) * (Math.PI - top)) / (Math.PI - knee)) * Math.sign(im);
    return [r * Math.cos(moved), r * Math.sin(moved)];
  });
}

/** The LPC analysis/resynthesis of McAdams with any pole map (null: the frames pass through). */
export function poleWarp(input: Float32Array, warp: ((poles: Complex[]) => Complex[]) | null, o: McAdamsOptions = {}): McAdamsResult {
  return drain(poleWarpSteps(input, warp, o));
}

function* poleWarpSteps(input: Float32Array, warp: ((poles: Complex[]) => Complex[]) | null, o: McAdamsOptions): Generator<void, McAdamsResult> {
  const sr = o.sampleRate ?? 16000;
  const win = Math.floor(((o.frameMs ?? 20) * sr) / 1000);
  const hop = Math.floor(((o.hopMs ?? 10) * sr) / 1000);
  const order = o.order ?? 20;
  const n = input.length;
  if (n === 0) return { audio: new Float32Array(0), mutedFrames: 0 };

  // Analysis window sqrt(hann / K), K = sum(hann) / hop, so that window² overlap-adds to 1.
  const hann = Float64Array.from({ length: win }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (win - 1)));
  const k = hann.reduce((s, v) => s + v, 0) / hop;
  const w = hann.map((v) => Math.sqrt(v / k));

  const pad = win;
  const x = new Float64Array(n + 2 * pad);
  let inPeak = 0;
  for (let i = 0; i < n; i++) {
    x[i + pad] = input[i]!;
    inPeak = Math.max(inPeak, Math.abs(input[i]!));
  }
  const out = new Float64Array(x.length);
  const frame = new Float64Array(win);
  let muted = 0;
  let lastPoles: Complex[] | undefined;
  let done = 0;
  for (let start = 0; start + win <= x.length; start += hop) {
    if (done > 0 && done % FRAMES_PER_STEP === 0) yield;
    done++;
    let energy = 0;
    for (let i = 0; i < win; i++) {
      frame[i] = x[start + i]! * w[i]!;
      energy += frame[i]! * frame[i]!;
    }
    if (energy < 1e-18) continue; // digital silence stays silence
    const a = burg(frame, order);
    let y: Float64Array;
    if (warp === null) {
      y = frame.slice();
    } else {
      // Neighbouring frames have nearby poles: start from the last ones, cold if that fails.
      const poles = (lastPoles && polyRoots(a, 60, lastPoles)) || polyRoots(a);
      lastPoles = poles ?? undefined;
      if (!poles) {
        muted++;
        continue;
      }
      const aNew = polyFromRoots(warp(poles));
      y = synthesisFilter(aNew, inverseFilter(a, frame));
      if (!y.every(Number.isFinite)) {
        muted++;
        continue;
      }
    }
    for (let i = 0; i < win; i++) out[start + i] = out[start + i]! + y[i]! * w[i]!;
  }
  let outPeak = 0;
  for (let i = pad; i < pad + n; i++) outPeak = Math.max(outPeak, Math.abs(out[i]!));
  const gain = outPeak > 0 ? inPeak / outPeak : 0;
  const audio = new Float32Array(n);
  for (let i = 0; i < n; i++) audio[i] = Math.max(-1, Math.min(1, out[i + pad]! * gain));
  // Working copies hold the voice (x the raw one): wipe them rather than leave them to the GC.
  x.fill(0);
  out.fill(0);
  frame.fill(0);
  return { audio, mutedFrames: muted };
}

/**
 * Int16 in and out (16 kHz mono s16, the session format), as steps. The float copy of the input
 * and the float output are zero-filled before returning.
 */
export function* mcadamsPcm16Steps(input: Int16Array, alpha: number): Generator<void, { audio: Int16Array; mutedFrames: number }> {
  const f = new Float32Array(input.length);
  for (let i = 0; i < f.length; i++) f[i] = input[i]! / 32768;
  yield;
  let r: McAdamsResult;
  try {
    r = yield* mcadamsSteps(f, alpha);
  } finally {
    f.fill(0);
  }
  yield;
  const audio = new Int16Array(r.audio.length);
  for (let i = 0; i < audio.length; i++) audio[i] = Math.max(-32768, Math.min(32767, Math.round(r.audio[i]! * 32768)));
  r.audio.fill(0);
  return { audio, mutedFrames: r.mutedFrames };
}

export function mcadamsPcm16(input: Int16Array, alpha: number): { audio: Int16Array; mutedFrames: number } {
  return drain(mcadamsPcm16Steps(input, alpha));
}
