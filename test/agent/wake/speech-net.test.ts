/**
 * The device's speech front end piece by piece: the SIMD convolution kernel against a plain
 * reference over random shapes, the ONNX reader, the streaming network against recomputing whole
 * windows, and the refusal of a model file it would compute wrongly.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { defaultModelDir } from "../../../agent/wake/embedding.ts";
import { readOnnx, type OnnxGraph } from "../../../agent/wake/onnx-graph.ts";
import { CO_BLOCK, convKernel, convModuleBytes } from "../../../agent/wake/simd-conv.ts";
import { SpeechNet } from "../../../agent/wake/speech-net.ts";
import { LogMel } from "../../../agent/wake/log-mel.ts";

const S = suite("speech front end parts");
const embeddingFile = readFileSync(join(defaultModelDir(), "embedding_model.onnx"));
const melFile = readFileSync(join(defaultModelDir(), "melspectrogram.onnx"));

/** The convolution as written in the kernel's header, in double precision. */
function reference(
  inp: Float32Array,
  win: number,
  cin: number,
  w: Float32Array,
  b: Float32Array,
  cout: number,
  kh: number,
  kw: number,
  pad: number,
  rows: number,
  act: boolean,
) {
  const wout = win + 2 * pad - kw + 1;
  const out = new Float64Array(rows * wout * cout);
  for (let y = 0; y < rows; y++)
    for (let x = 0; x < wout; x++)
      for (let co = 0; co < cout; co++) {
        let acc = b[co]!;
        for (let dy = 0; dy < kh; dy++)
          for (let dx = 0; dx < kw; dx++) {
            const xi = x + dx - pad;
            if (xi < 0 || xi >= win) continue;
            for (let ci = 0; ci < cin; ci++) acc += inp[((y + dy) * win + xi) * cin + ci]! * w[((dy * kw + dx) * cin + ci) * cout + co]!;
          }
        if (act) acc = Math.max(Math.max(acc, 0.2 * acc), -0.4);
        out[(y * wout + x) * cout + co] = acc;
      }
  return out;
}

S("the generated module is valid WebAssembly", () => {
  assert.ok(WebAssembly.validate(convModuleBytes(1) as Uint8Array<ArrayBuffer>));
});

S("property: the SIMD kernel computes the convolution (any kernel, padding, widths, channels, rows; with and without the activation)", () => {
  const k = convKernel(4 << 20);
  fc.assert(
    fc.property(
      fc.record({
        win: fc.integer({ min: 1, max: 9 }),
        cin: fc.integer({ min: 1, max: 30 }),
        blocks: fc.integer({ min: 1, max: 3 }),
        kh: fc.integer({ min: 1, max: 3 }),
        kw: fc.integer({ min: 1, max: 3 }),
        pad: fc.integer({ min: 0, max: 1 }),
        rows: fc.integer({ min: 1, max: 5 }),
        act: fc.boolean(),
        seed: fc.integer(),
      }),
      ({ win, cin, blocks, kh, kw, pad, rows, act, seed }) => {
        if (win + 2 * pad - kw + 1 < 1) return;
        const cout = blocks * CO_BLOCK;
        let s = seed >>> 0;
        const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
        const inp = Float32Array.from({ length: (rows + kh - 1) * win * cin }, rnd);
        const w = Float32Array.from({ length: kh * kw * cin * cout }, rnd);
        const b = Float32Array.from({ length: cout }, rnd);
        const mem = new Float32Array(k.memory.buffer);
        const [pi, pw, pb, po] = [0, 1 << 18, 1 << 19, 1 << 20];
        mem.set(inp, pi / 4);
        mem.set(w, pw / 4);
        mem.set(b, pb / 4);
        const wout = win + 2 * pad - kw + 1;
        k.conv(pi, win, cin, pw, pb, cout, kh, kw, pad, po, rows, act ? 1 : 0, 0.2, -0.4);
        const want = reference(inp, win, cin, w, b, cout, kh, kw, pad, rows, act);
        const got = mem.subarray(po / 4, po / 4 + rows * wout * cout);
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-4 * (1 + Math.abs(want[i]!)), `output ${i}: ${got[i]} ≠ ${want[i]}`);
      },
    ),
    { numRuns: 60 },
  );
});

S("the ONNX reader gives the embedding model's layers and weights; a truncated file is an error, not garbage", () => {
  const g = readOnnx(embeddingFile);
  assert.is(g.nodes.filter((n) => n.op === "Conv").length, 20);
  assert.equal(g.initializers.get("model/conv2d_1/Conv2D_weights_fused_bn")?.dims, [24, 24, 1, 3]);
  assert.is(g.initializers.get("model/conv2d_1/Conv2D_weights_fused_bn")?.data.length, 24 * 24 * 3);
  assert.throws(() => readOnnx(embeddingFile.subarray(0, 5000)), /truncated/);
  assert.throws(() => readOnnx(Buffer.from("not a model at all")), /./);
});

/** Every window of 76 frames computed alone (a fresh stream per window) — the definition the streaming network must match. */
function windowByWindow(net: SpeechNet, mel: Float32Array, frames: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let start = 0; start + net.window <= frames; start += net.stride) {
    const s = net.open();
    const got = s.push(mel.subarray(start * net.bins, (start + net.window) * net.bins), net.window);
    s.close();
    assert.is(got.length, 1);
    out.push(got[0]!);
  }
  return out;
}

S("streaming: pushing frames 8 at a time (or one by one) gives every window's embedding as computing it alone does", () => {
  const net = new SpeechNet(readOnnx(embeddingFile));
  const frames = 76 + 8 * 12;
  let s = 7;
  const mel = Float32Array.from({ length: frames * net.bins }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 4 - 1);
  const want = windowByWindow(net, mel, frames);
  for (const step of [8, 1, 3]) {
    const stream = net.open();
    const got: Float32Array[] = [];
    for (let f = 0; f < frames; f += step) got.push(...stream.push(mel.subarray(f * net.bins), Math.min(step, frames - f)));
    stream.close();
    assert.is(got.length, want.length, `step ${step}`);
    for (let i = 0; i < got.length; i++) for (let k = 0; k < net.dim; k++) assert.ok(Math.abs(got[i]![k]! - want[i]![k]!) < 1e-4, `step ${step}, window ${i}`);
  }
});

/** A copy of the graph with one node changed. */
function tampered(g: OnnxGraph, change: (g: OnnxGraph) => void): OnnxGraph {
  const copy: OnnxGraph = { nodes: g.nodes.map((n) => ({ ...n, attrs: { ...n.attrs }, inputs: [...n.inputs] })), initializers: new Map(g.initializers) };
  change(copy);
  return copy;
}

S("a model this code would compute differently is refused, naming what differs", () => {
  const g = readOnnx(embeddingFile);
  const conv = (c: OnnxGraph) => c.nodes.find((n) => n.op === "Conv")!;
  assert.throws(() => new SpeechNet(tampered(g, (c) => (conv(c).attrs.strides = [2, 1]))), /convolution shape/);
  assert.throws(() => new SpeechNet(tampered(g, (c) => (c.nodes.find((n) => n.op === "LeakyRelu")!.op = "Relu"))), /operator Relu/);
  assert.throws(() => new SpeechNet(tampered(g, (c) => (c.nodes.find((n) => n.op === "MaxPool")!.attrs.strides = [1, 1]))), /pool/);
  assert.throws(() => new SpeechNet(tampered(g, (c) => (conv(c).attrs.pads = [1, 1, 1, 1]))), /padding in time/);
  assert.throws(() => new LogMel(readOnnx(embeddingFile)), /not the melspectrogram model/);
  assert.throws(() => new SpeechNet(readOnnx(melFile)), /not the speech-embedding model/);
});

S.run();
