/**
 * Trains the wake-word MLP (window of embeddings → hidden ReLU layer → one sigmoid per keyword)
 * with Adam on binary cross-entropy, balancing positives against negatives and mining the
 * negatives the model currently scores highest. Deterministic for a given seed.
 */
import { Worker } from "node:worker_threads";
import { KEYWORDS, type Keyword } from "../../agent/ports/wake-engine.ts";
import { EMBED_DIM } from "../../agent/wake/embedding.ts";
import { encodeF32, parseWakeModel, type WakeModel } from "../../agent/wake/classifier.ts";
import { rng, shuffle, type Rng } from "./augment.ts";
import { embeddingEndSec, type Scene } from "./dataset.ts";
import { HUMAN_PREFIX } from "./human.ts";

export interface Sample {
  scene: number;
  /** Index of the last embedding of the window. */
  end: number;
  /** Target per head: 1, 0, or -1 (ignore). */
  y: number[];
  /** Loss weight: near-miss phrases count more, they are what the detector must tell apart. */
  w: number;
}

export interface TrainOptions {
  window: number;
  hidden: number;
  epochs: number;
  seed: number;
  lr: number;
  l2: number;
  /** Training-time input dropout probability and Gaussian input noise (regularisers). */
  dropout: number;
  inputNoise: number;
  /**
   * When > 0, the first layer is factorised: every embedding of the window goes through the
   * same linear projection to this many features before the hidden layer (weights shared
   * across time, far fewer of them). The product is exported as an ordinary first layer, so the
   * engine and the model format do not change. 0 (the default) trains the full layer.
   */
  project?: number;
}

/**
 * Labels every window of every scene. `humanWeight` multiplies the loss weight of windows of
 * scenes spoken by a human voice (scripts/train-wake/human.ts), so that two recorded people are
 * not outvoted by thousands of synthetic ones.
 */
export function samplesOf(scenes: Scene[], window: number, nearWeight = 3, humanWeight = 1): Sample[] {
  const out: Sample[] = [];
  scenes.forEach((s, si) => {
    const hw = s.voice.startsWith(HUMAN_PREFIX) ? humanWeight : 1;
    for (let i = window - 1; i < s.embeddings.length; i++) {
      const t = embeddingEndSec(i);
      if (s.kind !== "positive") {
        out.push({ scene: si, end: i, y: KEYWORDS.map(() => 0), w: (s.kind === "near-miss" ? nearWeight : 1) * hw });
        continue;
      }
      const end = s.kwEnd!;
      if (t >= end && t <= end + 0.32) out.push({ scene: si, end: i, y: KEYWORDS.map((k) => (k === s.keyword ? 1 : 0)), w: 3 * hw });
      else if (t < end - 0.3) out.push({ scene: si, end: i, y: KEYWORDS.map(() => 0), w: hw });
      // Windows around the end of the keyword, or long after it, are ambiguous: not trained on.
    }
  });
  return out;
}

export function normalisation(scenes: Scene[]): { mean: Float32Array; std: Float32Array } {
  const mean = new Float64Array(EMBED_DIM);
  const sq = new Float64Array(EMBED_DIM);
  let n = 0;
  for (const s of scenes)
    for (const e of s.embeddings) {
      for (let d = 0; d < EMBED_DIM; d++) {
        mean[d] = mean[d]! + e[d]!;
        sq[d] = sq[d]! + e[d]! * e[d]!;
      }
      n++;
    }
  const m = new Float32Array(EMBED_DIM);
  const sd = new Float32Array(EMBED_DIM);
  for (let d = 0; d < EMBED_DIM; d++) {
    m[d] = mean[d]! / n;
    sd[d] = Math.sqrt(Math.max(1e-6, sq[d]! / n - m[d]! ** 2));
  }
  return { mean: m, std: sd };
}

function fillInput(buf: Float32Array, s: Scene, end: number, window: number, mean: Float32Array, std: Float32Array): void {
  for (let k = 0; k < window; k++) {
    const e = s.embeddings[end - window + 1 + k]!;
    for (let d = 0; d < EMBED_DIM; d++) buf[k * EMBED_DIM + d] = (e[d]! - mean[d]!) / std[d]!;
  }
}

const gauss = (r: Rng): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

export function train(scenes: Scene[], samples: Sample[], o: TrainOptions, log: (l: string) => void): WakeModel {
  const r = rng(o.seed);
  const heads = KEYWORDS.length;
  const inputs = o.window * EMBED_DIM;
  const { mean, std } = normalisation(scenes);
  // He initialisation.
  const proj = o.project ?? 0;
  // What the hidden layer reads: the window itself, or its per-embedding projections.
  const zdim = proj > 0 ? o.window * proj : inputs;
  const w1 = Float32Array.from({ length: o.hidden * zdim }, () => gauss(r) * Math.sqrt(2 / zdim));
  const b1 = new Float32Array(o.hidden);
  const w2 = Float32Array.from({ length: heads * o.hidden }, () => gauss(r) * Math.sqrt(1 / o.hidden));
  const b2 = new Float32Array(heads).fill(-2);
  const pw = Float32Array.from({ length: proj * EMBED_DIM }, () => gauss(r) * Math.sqrt(1 / EMBED_DIM));
  const params = proj > 0 ? [w1, b1, w2, b2, pw] : [w1, b1, w2, b2];
  const m1 = params.map((p) => new Float32Array(p.length));
  const v1 = params.map((p) => new Float32Array(p.length));
  const grads = params.map((p) => new Float32Array(p.length));
  let step = 0;

  const pos = samples.filter((s) => s.y.some((y) => y === 1));
  const neg = samples.filter((s) => s.y.every((y) => y === 0));
  const negScore = new Float32Array(neg.length).fill(1);
  const x = new Float32Array(inputs);
  const z = proj > 0 ? new Float32Array(zdim) : x;
  const dz = new Float32Array(proj > 0 ? zdim : 0);
  const h = new Float32Array(o.hidden);
  const out = new Float32Array(heads);
  const batch = 64;

  const forwardOne = (smp: Sample, training: boolean): void => {
    fillInput(x, scenes[smp.scene]!, smp.end, o.window, mean, std);
    if (training) {
      const keep = 1 - o.dropout;
      for (let i = 0; i < inputs; i++) x[i] = r() < o.dropout ? 0 : (x[i]! + o.inputNoise * gauss(r)) / keep;
    }
    if (proj > 0)
      for (let k = 0; k < o.window; k++)
        for (let c = 0; c < proj; c++) {
          let s = 0;
          for (let d = 0; d < EMBED_DIM; d++) s += pw[c * EMBED_DIM + d]! * x[k * EMBED_DIM + d]!;
          z[k * proj + c] = s;
        }
    for (let j = 0; j < o.hidden; j++) {
      let s = b1[j]!;
      const row = j * zdim;
      for (let i = 0; i < zdim; i++) s += w1[row + i]! * z[i]!;
      h[j] = s > 0 ? s : 0;
    }
    for (let k = 0; k < heads; k++) {
      let s = b2[k]!;
      for (let j = 0; j < o.hidden; j++) s += w2[k * o.hidden + j]! * h[j]!;
      out[k] = 1 / (1 + Math.exp(-s));
    }
  };

  for (let epoch = 0; epoch < o.epochs; epoch++) {
    // Each epoch: every positive (weighted up), and negatives drawn with preference for the
    // ones the model got most wrong last time (hard-negative mining).
    const nNeg = Math.min(neg.length, pos.length * 6);
    const order: Array<{ s: Sample; w: number; ni: number }> = pos.map((s) => ({ s, w: s.w, ni: -1 }));
    const hard = [...neg.keys()].sort((a, b) => negScore[b]! - negScore[a]!).slice(0, Math.floor(nNeg / 2));
    for (const ni of hard) order.push({ s: neg[ni]!, w: neg[ni]!.w, ni });
    for (let k = 0; k < nNeg - hard.length; k++) {
      const ni = Math.floor(r() * neg.length);
      order.push({ s: neg[ni]!, w: neg[ni]!.w, ni });
    }
    shuffle(order, r);
    let loss = 0;
    for (let b0 = 0; b0 < order.length; b0 += batch) {
      for (const g of grads) g.fill(0);
      const items = order.slice(b0, b0 + batch);
      for (const { s, w, ni } of items) {
        forwardOne(s, true);
        if (ni >= 0) negScore[ni] = Math.max(...out);
        const dh = new Float32Array(o.hidden);
        for (let k = 0; k < heads; k++) {
          const y = s.y[k]!;
          if (y < 0) continue;
          const p = Math.min(1 - 1e-7, Math.max(1e-7, out[k]!));
          loss += -w * (y * Math.log(p) + (1 - y) * Math.log(1 - p));
          const d = w * (out[k]! - y);
          const gb2 = grads[3]!;
          const gw2 = grads[2]!;
          gb2[k] = gb2[k]! + d;
          for (let j = 0; j < o.hidden; j++) {
            gw2[k * o.hidden + j] = gw2[k * o.hidden + j]! + d * h[j]!;
            dh[j] = dh[j]! + d * w2[k * o.hidden + j]!;
          }
        }
        if (proj > 0) dz.fill(0);
        for (let j = 0; j < o.hidden; j++) {
          if (h[j]! <= 0 || dh[j] === 0) continue;
          const gb1 = grads[1]!;
          gb1[j] = gb1[j]! + dh[j]!;
          const row = j * zdim;
          const dj = dh[j]!;
          const gw = grads[0]!;
          for (let i = 0; i < zdim; i++) gw[row + i] = gw[row + i]! + dj * z[i]!;
          if (proj > 0) for (let i = 0; i < zdim; i++) dz[i] = dz[i]! + dj * w1[row + i]!;
        }
        if (proj > 0) {
          const gp = grads[4]!;
          for (let k = 0; k < o.window; k++)
            for (let c = 0; c < proj; c++) {
              const g = dz[k * proj + c]!;
              if (g === 0) continue;
              for (let d = 0; d < EMBED_DIM; d++) gp[c * EMBED_DIM + d] = gp[c * EMBED_DIM + d]! + g * x[k * EMBED_DIM + d]!;
            }
        }
      }
      step++;
      const lrT = (o.lr * Math.sqrt(1 - 0.999 ** step)) / (1 - 0.9 ** step);
      params.forEach((p, pi) => {
        const g = grads[pi]!;
        const m = m1[pi]!;
        const v = v1[pi]!;
        const decay = pi === 0 || pi === 2 || pi === 4 ? o.l2 : 0;
        for (let i = 0; i < p.length; i++) {
          const gi = g[i]! / items.length + decay * p[i]!;
          m[i] = 0.9 * m[i]! + 0.1 * gi;
          v[i] = 0.999 * v[i]! + 0.001 * gi * gi;
          p[i] = p[i]! - (lrT * m[i]!) / (Math.sqrt(v[i]!) + 1e-8);
        }
      });
    }
    log(`epoch ${epoch + 1}/${o.epochs}: loss ${(loss / order.length).toFixed(4)} on ${order.length} windows`);
  }

  return parseWakeModel({
    format: "spa-wake-mlp/1",
    window: o.window,
    dim: EMBED_DIM,
    hidden: o.hidden,
    mean: encodeF32(mean),
    std: encodeF32(std),
    w1: encodeF32(proj > 0 ? composeFirstLayer(w1, pw, o.hidden, o.window, proj) : w1),
    b1: encodeF32(b1),
    heads: KEYWORDS.map((keyword: Keyword, k) => ({ keyword, w2: encodeF32(w2.slice(k * o.hidden, (k + 1) * o.hidden)), b2: b2[k]!, threshold: 0.5 })),
    consecutive: 2,
    refractoryMs: 2000,
  });
}

/** The full first layer equal to a shared per-embedding projection followed by the hidden layer. */
function composeFirstLayer(w1: Float32Array, pw: Float32Array, hidden: number, window: number, proj: number): Float32Array {
  const out = new Float32Array(hidden * window * EMBED_DIM);
  for (let j = 0; j < hidden; j++)
    for (let k = 0; k < window; k++)
      for (let c = 0; c < proj; c++) {
        const a = w1[j * window * proj + k * proj + c]!;
        const o = (j * window + k) * EMBED_DIM;
        for (let d = 0; d < EMBED_DIM; d++) out[o + d] = out[o + d]! + a * pw[c * EMBED_DIM + d]!;
      }
  return out;
}

/**
 * Merges models trained with different seeds into one of the same format: hidden layers side by
 * side, each head's output weights divided by the count, so every head scores the sigmoid of the
 * members' mean logit. Averaging members with independent errors lowers the scores of windows
 * that only one member mistakes for a keyword (fewer false wakes). All members must share
 * window, dimension and normalisation (they do when trained on the same scenes).
 */
export function mergeEnsemble(models: WakeModel[]): WakeModel {
  const first = models[0]!;
  if (models.length === 1) return first;
  const n = models.length;
  const concat = (parts: Float32Array[]): Float32Array<ArrayBuffer> => {
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  return {
    ...first,
    hidden: models.reduce((a, m) => a + m.hidden, 0),
    w1: concat(models.map((m) => m.w1)),
    b1: concat(models.map((m) => m.b1)),
    heads: first.heads.map((h, k) => ({
      ...h,
      w2: concat(models.map((m) => m.heads[k]!.w2.map((w) => w / n))),
      b2: models.reduce((a, m) => a + m.heads[k]!.b2, 0) / n,
    })),
  };
}

/**
 * Trains one member per option set, `threads` at a time in worker threads. Same weights as
 * training them one after another (each member's randomness is its own seed's).
 */
export async function trainMembers(
  scenes: Scene[],
  samples: Sample[],
  options: TrainOptions[],
  threads: number,
  log: (l: string) => void,
): Promise<WakeModel[]> {
  const out: WakeModel[] = new Array(options.length);
  let next = 0;
  const one = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = new Worker(new URL("./train-worker.mjs", import.meta.url), { workerData: { scenes, samples, options: options[i] } });
      w.on("message", (msg: { log?: string; model?: unknown }) => {
        if (msg.log) log(`member ${i + 1}: ${msg.log}`);
        if (msg.model) out[i] = parseWakeModel(msg.model, `member ${i + 1}`);
      });
      w.on("error", reject);
      w.on("exit", (code) => (code === 0 && out[i] ? resolve() : reject(new Error(`training member ${i + 1} exited ${code}`))));
    });
  await Promise.all(
    Array.from({ length: Math.min(threads, options.length) }, async () => {
      while (next < options.length) await one(next++);
    }),
  );
  return out;
}
