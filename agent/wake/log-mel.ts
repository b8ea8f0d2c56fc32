/**
 * openWakeWord's melspectrogram model computed directly: the model is a 512-point STFT written
 * as two convolutions (its window times cos and −sin, hop 160), the power spectrum, a 257 × 32
 * mel matrix, 10·log10 with a floor of 1e-10, and a clamp at 80 dB below the loudest value of
 * the call. The window and the mel matrix are read from the model file; the transform is a
 * radix-2 FFT in double precision instead of a 512 × 514 matrix product.
 */
import type { OnnxGraph } from "./onnx-graph.ts";

export const N_FFT = 512;
export const HOP = 160;
export const MEL_BANDS = 32;
const BINS = N_FFT / 2 + 1;

function fail(why: string): never {
  throw new Error(`not the melspectrogram model this front end computes: ${why}`);
}

export class LogMel {
  readonly #window: Float64Array;
  /** Sparse mel matrix: for each band, its (bin, weight) pairs. */
  readonly #bands: Array<{ bins: Int32Array; weights: Float64Array }>;
  readonly #floor: number;
  readonly #range: number;
  readonly #re = new Float64Array(N_FFT);
  readonly #im = new Float64Array(N_FFT);
  readonly #power = new Float64Array(BINS);
  readonly #rev: Uint16Array;
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;

  constructor(g: OnnxGraph) {
    const ops = g.nodes.filter((n) => n.op !== "Constant").map((n) => n.op);
    const expected = [
      "Unsqueeze",
      "Conv",
      "Conv",
      "Unsqueeze",
      "Transpose",
      "Unsqueeze",
      "Transpose",
      "Pow",
      "Pow",
      "Add",
      "MatMul",
      "Clip",
      "Log",
      "Mul",
      "Div",
      "Sub",
      "ReduceMax",
      "Sub",
      "Cast",
      "Clip",
    ];
    if (ops.join() !== expected.join()) fail(`operators ${ops.join(" ")}`);
    const convs = g.nodes.filter((n) => n.op === "Conv");
    for (const c of convs) {
      if ((c.attrs.kernel_shape as number[])[0] !== N_FFT || (c.attrs.strides as number[])[0] !== HOP) fail("STFT size or hop");
    }
    const re = g.initializers.get(convs[0]!.inputs[1]!);
    const mel = g.initializers.get(g.nodes.find((n) => n.op === "MatMul")!.inputs[1]!);
    if (!re || re.dims.join() !== `${BINS},1,${N_FFT}`) fail("STFT weights");
    if (!mel || mel.dims.join() !== `${BINS},${MEL_BANDS}`) fail("mel matrix");
    // Row 0 of the cosine weights is the window itself (cos 0 = 1).
    this.#window = Float64Array.from(re.data.subarray(0, N_FFT));
    for (const k of [1, 7, 100]) {
      for (const n of [3, 100, 255, 400]) {
        const want = this.#window[n]! * Math.cos((2 * Math.PI * k * n) / N_FFT);
        if (Math.abs(re.data[k * N_FFT + n]! - want) > 1e-5) fail("STFT weights are not a windowed DFT");
      }
    }
    this.#bands = Array.from({ length: MEL_BANDS }, (_, m) => {
      const bins: number[] = [];
      const weights: number[] = [];
      for (let k = 0; k < BINS; k++) {
        const w = mel.data[k * MEL_BANDS + m]!;
        if (w !== 0) {
          bins.push(k);
          weights.push(w);
        }
      }
      return { bins: Int32Array.from(bins), weights: Float64Array.from(weights) };
    });
    const clips = g.nodes.filter((n) => n.op === "Clip");
    this.#floor = g.initializers.get(clips[0]!.inputs[1]!)?.data[0] ?? fail("power floor");
    const subs = g.nodes.filter((n) => n.op === "Sub");
    this.#range = g.initializers.get(subs[1]!.inputs[1]!)?.data[0] ?? fail("dynamic range");
    const bits = Math.log2(N_FFT);
    this.#rev = Uint16Array.from({ length: N_FFT }, (_, i) => {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      return r;
    });
    this.#cos = Float64Array.from({ length: N_FFT / 2 }, (_, i) => Math.cos((2 * Math.PI * i) / N_FFT));
    this.#sin = Float64Array.from({ length: N_FFT / 2 }, (_, i) => Math.sin((2 * Math.PI * i) / N_FFT));
  }

  /** Frames a call of `samples` yields: one per hop while a whole 512-sample frame fits. */
  static frames(samples: number): number {
    return samples < N_FFT ? 0 : Math.floor((samples - N_FFT) / HOP) + 1;
  }

  /**
   * Log-mel frames of int16-scale audio, as the model gives them (before openWakeWord's x/10 + 2),
   * written row after row into `out` (MEL_BANDS values each); returns the number of frames.
   */
  compute(samples: Float32Array, out: Float32Array): number {
    const frames = LogMel.frames(samples.length);
    let max = -Infinity;
    for (let f = 0; f < frames; f++) {
      this.#spectrum(samples, f * HOP);
      for (let m = 0; m < MEL_BANDS; m++) {
        const { bins, weights } = this.#bands[m]!;
        let e = 0;
        for (let j = 0; j < bins.length; j++) e += this.#power[bins[j]!]! * weights[j]!;
        const db = (10 * Math.log(Math.max(e, this.#floor))) / Math.LN10;
        out[f * MEL_BANDS + m] = db;
        if (db > max) max = db;
      }
    }
    const low = Math.fround(max - this.#range);
    for (let i = 0; i < frames * MEL_BANDS; i++) if (out[i]! < low) out[i] = low;
    return frames;
  }

  /** Power spectrum of the windowed frame at `at` into #power (in-place radix-2 FFT). */
  #spectrum(x: Float32Array, at: number): void {
    const re = this.#re;
    const im = this.#im;
    for (let i = 0; i < N_FFT; i++) {
      const j = this.#rev[i]!;
      re[j] = x[at + i]! * this.#window[i]!;
      im[j] = 0;
    }
    for (let size = 2; size <= N_FFT; size <<= 1) {
      const half = size >> 1;
      const step = N_FFT / size;
      for (let start = 0; start < N_FFT; start += size) {
        for (let k = 0; k < half; k++) {
          const c = this.#cos[k * step]!;
          const s = -this.#sin[k * step]!;
          const a = start + k;
          const b = a + half;
          const tr = re[b]! * c - im[b]! * s;
          const ti = re[b]! * s + im[b]! * c;
          re[b] = re[a]! - tr;
          im[b] = im[a]! - ti;
          re[a] = re[a]! + tr;
          im[a] = im[a]! + ti;
        }
      }
    }
    for (let k = 0; k < BINS; k++) this.#power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
  }
}
