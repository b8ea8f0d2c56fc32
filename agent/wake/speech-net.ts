/**
 * openWakeWord's speech-embedding network computed as a stream. The network (read from the model
 * file and checked against the shape this code computes) is a stack of unpadded-in-time
 * convolutions (3×3, 1×3, 3×1), LeakyReLU, a lower clamp, and max-pools; over a window of 76 mel
 * frames it gives one 96-value embedding, and its pools shrink time by 8 in all — exactly the
 * 8-frame step between windows. So instead of recomputing 76 frames for every window, each layer
 * keeps the few rows its kernel still needs and computes only the rows the new frames make
 * possible: the same numbers (up to float rounding) at about a seventh of the work.
 *
 * The convolutions run in a WebAssembly SIMD kernel (simd-conv.ts) over channels-last rows held
 * in the kernel's memory; weights are copied there once, re-ordered to [dy][dx][ci][co].
 */
import type { OnnxGraph, OnnxNode } from "./onnx-graph.ts";
import { CO_BLOCK, convKernel, type ConvKernel } from "./simd-conv.ts";

interface ConvSpec {
  kind: "conv";
  kh: number;
  kw: number;
  pad: number;
  cin: number;
  cout: number;
  act: boolean;
  weights: Float32Array;
  bias: Float32Array;
}
interface PoolSpec {
  kind: "pool";
  ph: number;
  pw: number;
}
type Spec = ConvSpec | PoolSpec;

/** A layer in the kernel's memory: its input rows buffer and, for a convolution, its weights. */
interface Layer {
  spec: Spec;
  /** Input row width (columns) and channels. */
  win: number;
  cin: number;
  /** Output row width and channels. */
  wout: number;
  cout: number;
  /** Rows kept between calls (kernel height − 1, or a pool's unpaired row) and the most that can be waiting. */
  capacity: number;
  w: number;
  b: number;
}

function fail(why: string): never {
  throw new Error(`not the speech-embedding model this engine computes: ${why}`);
}

const ints = (n: OnnxNode, k: string): number[] => (Array.isArray(n.attrs[k]) ? (n.attrs[k] as number[]) : []);

/** Reads the layer stack from the ONNX graph, refusing anything this code would compute differently. */
function specsOf(g: OnnxGraph): { specs: Spec[]; window: number; bins: number; alpha: number; floor: number } {
  const t = (name: string | undefined) => (name ? g.initializers.get(name) : undefined);
  const nodes = g.nodes;
  if (nodes[0]?.op !== "Reshape" || nodes.at(-1)?.op !== "Reshape") fail("input or output is not a reshape");
  const shape = t(nodes[0].inputs[1])?.data;
  if (!shape || shape.length !== 4 || shape[1] !== 1) fail("input shape");
  const window = shape[2]!;
  const bins = shape[3]!;
  const specs: Spec[] = [];
  let alpha = NaN;
  let floor = NaN;
  let cin = 1;
  for (let i = 1; i < nodes.length - 1; i++) {
    const n = nodes[i]!;
    if (n.op === "MaxPool") {
      const k = ints(n, "kernel_shape");
      const s = ints(n, "strides");
      if (k.length !== 2 || k.join() !== s.join() || ints(n, "pads").some((p) => p !== 0)) fail("a pool that is not a plain tiling");
      specs.push({ kind: "pool", ph: k[0]!, pw: k[1]! });
      continue;
    }
    if (n.op !== "Conv") fail(`operator ${n.op}`);
    const w = t(n.inputs[1]);
    if (!w || w.dims.length !== 4) fail("convolution weights");
    const [cout, wcin, kh, kw] = w.dims as [number, number, number, number];
    const pads = ints(n, "pads");
    const pad = pads.length ? pads[1]! : 0;
    if (wcin !== cin || (ints(n, "strides").length && ints(n, "strides").some((s) => s !== 1)) || ints(n, "dilations").some((d) => d !== 1))
      fail("convolution shape");
    if (pads.length && (pads[0] !== 0 || pads[2] !== 0 || pads[3] !== pad)) fail("padding in time");
    if ((n.attrs.group ?? 1) !== 1 || cout % CO_BLOCK !== 0) fail("grouped convolution or channel count");
    const bias = n.inputs[2] ? t(n.inputs[2])?.data : new Float32Array(cout);
    if (!bias || bias.length !== cout) fail("bias");
    // [co][ci][dy][dx] → [dy][dx][ci][co]
    const weights = new Float32Array(w.data.length);
    for (let co = 0; co < cout; co++)
      for (let ci = 0; ci < cin; ci++)
        for (let dy = 0; dy < kh; dy++)
          for (let dx = 0; dx < kw; dx++) weights[((dy * kw + dx) * cin + ci) * cout + co] = w.data[((co * cin + ci) * kh + dy) * kw + dx]!;
    let act = false;
    if (nodes[i + 1]?.op === "LeakyRelu" && nodes[i + 2]?.op === "Max") {
      const a = nodes[i + 1]!.attrs.alpha;
      const f = t(nodes[i + 2]!.inputs[1])?.data;
      if (typeof a !== "number" || !f || f.length !== 1) fail("activation");
      if ((!Number.isNaN(alpha) && a !== alpha) || (!Number.isNaN(floor) && f[0] !== floor)) fail("activations differ between layers");
      alpha = a;
      floor = f[0]!;
      act = true;
      i += 2;
    }
    specs.push({ kind: "conv", kh, kw, pad, cin, cout, act, weights, bias });
    cin = cout;
  }
  return { specs, window, bins, alpha: Number.isNaN(alpha) ? 0 : alpha, floor: Number.isNaN(floor) ? -Infinity : floor };
}

/** The network's weights in kernel memory; streams (open()) share them and each has its own rows. */
export class SpeechNet {
  readonly window: number;
  readonly bins: number;
  readonly dim: number;
  /** Time stride of the whole network: frames between consecutive outputs. */
  readonly stride: number;
  readonly #layers: Layer[] = [];
  readonly #alpha: number;
  readonly #floor: number;
  readonly #kernel: ConvKernel;
  readonly #stateBytes: number;
  readonly #stateBase: number;
  readonly #free: number[] = [];
  #states = 0;
  readonly #maxFrames: number;

  /** `maxFrames`: the most mel frames one push() may bring (8 per 80 ms chunk). */
  constructor(g: OnnxGraph, maxFrames = 8) {
    const { specs, window, bins, alpha, floor } = specsOf(g);
    this.window = window;
    this.bins = bins;
    this.#alpha = alpha;
    this.#floor = floor;
    this.#maxFrames = maxFrames;
    // Shapes and buffer sizes, layer by layer.
    let win = bins;
    let cin = 1;
    let rowsIn = window;
    let incoming = maxFrames;
    let stride = 1;
    let weightFloats = 0;
    const shapes: Array<Omit<Layer, "w" | "b">> = [];
    for (const spec of specs) {
      if (spec.kind === "conv") {
        const wout = win + 2 * spec.pad - spec.kw + 1;
        const capacity = spec.kh - 1 + incoming;
        shapes.push({ spec, win, cin, wout, cout: spec.cout, capacity });
        weightFloats += spec.weights.length + spec.bias.length;
        rowsIn -= spec.kh - 1;
        win = wout;
        cin = spec.cout;
      } else {
        const wout = Math.floor(win / spec.pw);
        const capacity = spec.ph - 1 + incoming;
        shapes.push({ spec, win, cin, wout, cout: cin, capacity });
        incoming = Math.floor(capacity / spec.ph);
        rowsIn = Math.floor(rowsIn / spec.ph);
        stride *= spec.ph;
        win = wout;
      }
    }
    if (rowsIn !== 1 || win !== 1) fail(`a window gives ${rowsIn}×${win} outputs, not one embedding`);
    this.stride = stride;
    this.dim = cin;
    // Per stream: every layer's input rows plus the output rows.
    const stateFloats = shapes.reduce((n, l) => n + l.capacity * l.win * l.cin, 0) + incoming * this.dim;
    this.#stateBytes = stateFloats * 4;
    this.#stateBase = weightFloats * 4;
    this.#kernel = convKernel(this.#stateBase + 2 * this.#stateBytes);
    const mem = new Float32Array(this.#kernel.memory.buffer);
    let at = 0;
    for (const s of shapes) {
      let w = 0;
      let b = 0;
      if (s.spec.kind === "conv") {
        w = at * 4;
        mem.set(s.spec.weights, at);
        at += s.spec.weights.length;
        b = at * 4;
        mem.set(s.spec.bias, at);
        at += s.spec.bias.length;
        // The kernel memory holds them now.
        s.spec.weights = new Float32Array(0);
      }
      this.#layers.push({ ...s, w, b });
    }
  }

  /** Bytes of kernel memory (weights and the rows of every stream opened so far). */
  get memoryBytes(): number {
    return this.#kernel.memory.buffer.byteLength;
  }

  /** A new stream over this network: mel frames in, embeddings out. */
  open(): NetStream {
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#states++;
      const need = this.#stateBase + (slot + 1) * this.#stateBytes;
      const have = this.#kernel.memory.buffer.byteLength;
      if (need > have) this.#kernel.memory.grow(Math.ceil((need - have) / 65536));
    }
    return new NetStream(this, slot);
  }

  /** @internal */ release(slot: number): void {
    this.zero(slot);
    this.#free.push(slot);
  }

  /** @internal Zeroes a stream's rows (its audio-derived state). */
  zero(slot: number): void {
    new Uint8Array(this.#kernel.memory.buffer, this.#stateBase + slot * this.#stateBytes, this.#stateBytes).fill(0);
  }

  /** @internal */ get layerCount(): number {
    return this.#layers.length;
  }

  /** @internal */ get maxFrames(): number {
    return this.#maxFrames;
  }

  /**
   * Pushes `frames` mel rows (bins values each) through every layer of stream `slot`; `have` holds
   * the rows waiting at each layer's input (updated). Returns the new embeddings.
   */
  /** @internal */ run(slot: number, have: number[], mel: Float32Array, frames: number): Float32Array[] {
    if (frames > this.#maxFrames) throw new Error(`at most ${this.#maxFrames} mel frames per push`);
    const mem = new Float32Array(this.#kernel.memory.buffer);
    let base = (this.#stateBase + slot * this.#stateBytes) / 4;
    const inputs: number[] = [];
    for (const l of this.#layers) {
      inputs.push(base);
      base += l.capacity * l.win * l.cin;
    }
    const outBase = base;
    mem.set(mel.subarray(0, frames * this.bins), inputs[0]! + have[0]! * this.bins);
    have[0]! += frames;
    let produced = 0;
    for (let i = 0; i < this.#layers.length; i++) {
      const l = this.#layers[i]!;
      const last = i === this.#layers.length - 1;
      const rowIn = l.win * l.cin;
      const rowOut = l.wout * l.cout;
      const dest = last ? outBase : inputs[i + 1]! + have[i + 1]! * rowOut;
      let keep: number;
      let made = 0;
      if (l.spec.kind === "conv") {
        keep = Math.min(have[i]!, l.spec.kh - 1);
        made = have[i]! - (l.spec.kh - 1);
        if (made > 0)
          this.#kernel.conv(
            inputs[i]! * 4,
            l.win,
            l.cin,
            l.w,
            l.b,
            l.cout,
            l.spec.kh,
            l.spec.kw,
            l.spec.pad,
            dest * 4,
            made,
            l.spec.act ? 1 : 0,
            this.#alpha,
            this.#floor,
          );
        else made = 0;
      } else {
        const { ph, pw } = l.spec;
        made = Math.floor(have[i]! / ph);
        keep = have[i]! - made * ph;
        for (let r = 0; r < made; r++)
          for (let x = 0; x < l.wout; x++)
            for (let c = 0; c < l.cin; c++) {
              let m = -Infinity;
              for (let dy = 0; dy < ph; dy++)
                for (let dx = 0; dx < pw; dx++) {
                  const v = mem[inputs[i]! + (r * ph + dy) * rowIn + (x * pw + dx) * l.cin + c]!;
                  if (v > m) m = v;
                }
              mem[dest + r * rowOut + x * l.cout + c] = m;
            }
      }
      // Keep the last rows this layer still needs next time.
      const from = inputs[i]! + (have[i]! - keep) * rowIn;
      mem.copyWithin(inputs[i]!, from, from + keep * rowIn);
      mem.fill(0, inputs[i]! + keep * rowIn, inputs[i]! + have[i]! * rowIn);
      have[i] = keep;
      if (last) produced = made;
      else have[i + 1]! += made;
    }
    const out: Float32Array[] = [];
    for (let r = 0; r < produced; r++) out.push(mem.slice(outBase + r * this.dim, outBase + (r + 1) * this.dim));
    mem.fill(0, outBase, outBase + produced * this.dim);
    return out;
  }
}

/** One stream's position in the network; reset() zeroes its rows. */
export class NetStream {
  readonly #net: SpeechNet;
  readonly #slot: number;
  readonly #have: number[];
  #open = true;
  constructor(net: SpeechNet, slot: number) {
    this.#net = net;
    this.#slot = slot;
    this.#have = new Array<number>(net.layerCount).fill(0);
  }
  /** Mel frames (net.bins values each, row after row); returns the embeddings they complete. */
  push(mel: Float32Array, frames: number): Float32Array[] {
    if (!this.#open) throw new Error("stream closed");
    const out: Float32Array[] = [];
    const step = this.#net.maxFrames;
    for (let f = 0; f < frames; f += step) out.push(...this.#net.run(this.#slot, this.#have, mel.subarray(f * this.#net.bins), Math.min(step, frames - f)));
    return out;
  }
  reset(): void {
    this.#have.fill(0);
    if (this.#open) this.#net.zero(this.#slot);
  }
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#net.release(this.#slot);
  }
}
