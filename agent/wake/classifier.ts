/**
 * The trained wake-word classifier: a small MLP over a window of consecutive speech embeddings
 * (shared hidden layer, one sigmoid head per keyword), and the decision rule around it: a
 * per-keyword threshold, N consecutive positive windows, and a refractory period.
 * Pure code: weights in, scores and hits out. The weights come from scripts/train-wake.
 */
import { firstIssue } from "../json-file.ts";
import { z } from "zod";
import { AgentError } from "../errors.ts";
import { KEYWORDS, type Keyword, type WakeHit } from "../ports/wake-engine.ts";
import { EMBED_DIM } from "./embedding.ts";

/** Float32 arrays are stored base64-encoded (little-endian), to keep files small. */
export const Float32Base64 = z.string().transform((s, ctx) => {
  const b = Buffer.from(s, "base64");
  if (b.length % 4 !== 0) {
    ctx.addIssue({ code: "custom", message: "not a float32 array" });
    return z.NEVER;
  }
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
});

export const WakeModelSchema = z
  .object({
    format: z.literal("spa-wake-mlp/1"),
    window: z.number().int().min(1).max(64),
    dim: z.literal(EMBED_DIM),
    hidden: z.number().int().min(1).max(512),
    /** Per-dimension normalisation of each embedding: (x - mean) / std. */
    mean: Float32Base64,
    std: Float32Base64,
    w1: Float32Base64,
    b1: Float32Base64,
    heads: z
      .array(
        z.object({
          keyword: z.enum(KEYWORDS),
          w2: Float32Base64,
          b2: z.number(),
          threshold: z.number().min(0).max(1),
        }),
      )
      .min(1),
    consecutive: z.number().int().min(1).max(10),
    refractoryMs: z.number().int().min(0).max(10000),
    trainedOn: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type WakeModel = z.infer<typeof WakeModelSchema>;

export function encodeF32(a: Float32Array): string {
  const b = Buffer.alloc(a.length * 4);
  for (let i = 0; i < a.length; i++) b.writeFloatLE(a[i]!, i * 4);
  return b.toString("base64");
}

/** The stored form of a model (the inverse of parseWakeModel). */
export function serializeWakeModel(m: WakeModel): Record<string, unknown> {
  return {
    format: m.format,
    window: m.window,
    dim: m.dim,
    hidden: m.hidden,
    mean: encodeF32(m.mean),
    std: encodeF32(m.std),
    w1: encodeF32(m.w1),
    b1: encodeF32(m.b1),
    heads: m.heads.map((h) => ({ keyword: h.keyword, w2: encodeF32(h.w2), b2: h.b2, threshold: h.threshold })),
    consecutive: m.consecutive,
    refractoryMs: m.refractoryMs,
    ...(m.trainedOn ? { trainedOn: m.trainedOn } : {}),
  };
}

export function parseWakeModel(raw: unknown, source = "wake model"): WakeModel {
  const r = WakeModelSchema.safeParse(raw);
  if (!r.success) throw new AgentError("WAKE_MODEL_INVALID", `${source}: ${firstIssue(r.error)}`);
  const m = r.data;
  const inputs = m.window * m.dim;
  const ok =
    m.mean.length === m.dim &&
    m.std.length === m.dim &&
    m.w1.length === m.hidden * inputs &&
    m.b1.length === m.hidden &&
    m.heads.every((h) => h.w2.length === m.hidden);
  if (!ok) throw new AgentError("WAKE_MODEL_INVALID", `${source}: weight shapes do not match window ${m.window}, hidden ${m.hidden}`);
  return m;
}

/** Forward pass. `input` is the normalised, flattened window (window × dim). */
export function forward(m: WakeModel, input: Float32Array, hiddenOut?: Float32Array): number[] {
  const inputs = m.window * m.dim;
  const h = hiddenOut ?? new Float32Array(m.hidden);
  for (let j = 0; j < m.hidden; j++) {
    let s = m.b1[j]!;
    const row = j * inputs;
    for (let i = 0; i < inputs; i++) s += m.w1[row + i]! * input[i]!;
    h[j] = s > 0 ? s : 0;
  }
  return m.heads.map((head) => {
    let s = head.b2;
    for (let j = 0; j < m.hidden; j++) s += head.w2[j]! * h[j]!;
    return 1 / (1 + Math.exp(-s));
  });
}

/**
 * Consumes embeddings one by one (every 80 ms) and decides when a keyword was said.
 * `atMs` is the audio time at the end of the embedding's window.
 */
export class WakeDecider {
  readonly #history: Float32Array[] = [];
  readonly #input: Float32Array;
  readonly #hidden: Float32Array;
  readonly #runs: number[];
  #quietUntilMs = -Infinity;
  /** Scores of the last window, per head (for tools and tests). */
  lastScores: number[] = [];

  readonly model: WakeModel;
  constructor(model: WakeModel) {
    this.model = model;
    this.#input = new Float32Array(model.window * model.dim);
    this.#hidden = new Float32Array(model.hidden);
    this.#runs = model.heads.map(() => 0);
  }

  push(embedding: Float32Array, atMs: number): (WakeHit & { atMs: number }) | null {
    const m = this.model;
    this.#history.push(embedding);
    if (this.#history.length > m.window) this.#history.shift();
    if (this.#history.length < m.window) return null;
    this.#history.forEach((e, k) => {
      for (let d = 0; d < m.dim; d++) this.#input[k * m.dim + d] = (e[d]! - m.mean[d]!) / m.std[d]!;
    });
    return this.decide(forward(m, this.#input, this.#hidden), atMs);
  }

  /** The decision rule alone, on scores already computed (training tools sweep thresholds). */
  decide(scores: number[], atMs: number): (WakeHit & { atMs: number }) | null {
    const m = this.model;
    this.lastScores = scores;
    if (atMs < this.#quietUntilMs) {
      // Refractory: the same utterance must not fire again, so runs restart after it ends.
      this.#runs.fill(0);
      return null;
    }
    let best: { i: number; score: number } | null = null;
    scores.forEach((s, i) => {
      this.#runs[i] = s >= m.heads[i]!.threshold ? this.#runs[i]! + 1 : 0;
      if (this.#runs[i]! >= m.consecutive && (!best || s > best.score)) best = { i, score: s };
    });
    if (!best) return null;
    const { i, score } = best as { i: number; score: number };
    this.#quietUntilMs = atMs + m.refractoryMs;
    this.#runs.fill(0);
    return { keyword: m.heads[i]!.keyword as Keyword, score, atMs };
  }

  reset(): void {
    for (const e of this.#history) e.fill(0);
    this.#history.length = 0;
    this.#runs.fill(0);
    this.#input.fill(0);
    this.#quietUntilMs = -Infinity;
  }
}
