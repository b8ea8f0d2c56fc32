/**
 * Personal wake-word templates: a household enrolls ≥ 3 clips per keyword; each is kept as the
 * sequence of its speech embeddings (features only, never audio). Live audio is matched with
 * subsequence DTW (cosine distance per step, normalised by path length) against the recent
 * embeddings. Used alone (engine `template`) or as a second stage the trained engine's hits must
 * also pass (fewer false wakes). Templates alone do not generalise across speakers: they are a
 * household option, not the default.
 */
import { firstIssue } from "../json-file.ts";
import { z } from "zod";
import { AgentError } from "../errors.ts";
import { KEYWORDS, type Keyword } from "../ports/wake-engine.ts";
import { encodeF32, Float32Base64 } from "./classifier.ts";
import { EMBED_DIM } from "./embedding.ts";

export const TEMPLATES_FILE = "templates.json";
export const MIN_CLIPS = 3;

const TemplateSet = z
  .object({
    format: z.literal("spa-wake-templates/1"),
    keywords: z.partialRecord(
      z.enum(KEYWORDS),
      z
        .object({
          /** Each template: its embeddings, flattened (frames × 96). */
          templates: z.array(Float32Base64).min(MIN_CLIPS),
          /** Distance at or under which a match counts (calibrated at enrollment). */
          threshold: z.number().positive(),
        })
        .strict(),
    ),
  })
  .strict();

export interface KeywordTemplates {
  templates: Float32Array[][];
  threshold: number;
  /**
   * Per-template thresholds, when the set merges several people's (mergeTemplates): each
   * template's distance is then scaled so that `threshold` applies to all of them.
   */
  thresholds?: number[];
}

/** Several people's templates for one keyword as one set: each keeps its own calibrated threshold. */
export function mergeTemplates(sets: readonly KeywordTemplates[]): KeywordTemplates {
  return {
    templates: sets.flatMap((s) => s.templates),
    thresholds: sets.flatMap((s) => s.templates.map((_, i) => s.thresholds?.[i] ?? s.threshold)),
    threshold: 1,
  };
}
export type Templates = Partial<Record<Keyword, KeywordTemplates>>;

const frames = (flat: Float32Array): Float32Array[] => {
  const out: Float32Array[] = [];
  for (let o = 0; o + EMBED_DIM <= flat.length; o += EMBED_DIM) out.push(flat.slice(o, o + EMBED_DIM));
  return out;
};

export function parseTemplates(raw: unknown, source = "templates"): Templates {
  const r = TemplateSet.safeParse(raw);
  if (!r.success) throw new AgentError("WAKE_MODEL_INVALID", `${source}: ${firstIssue(r.error)}`);
  const out: Templates = {};
  for (const [k, v] of Object.entries(r.data.keywords) as Array<[Keyword, { templates: Float32Array[]; threshold: number }]>) {
    out[k] = { templates: v.templates.map(frames), threshold: v.threshold };
  }
  return out;
}

export function serializeTemplates(t: Templates): unknown {
  return {
    format: "spa-wake-templates/1",
    keywords: Object.fromEntries(
      Object.entries(t).map(([k, v]) => [
        k,
        {
          templates: v!.templates.map((seq) => {
            const flat = new Float32Array(seq.length * EMBED_DIM);
            seq.forEach((e, i) => flat.set(e, i * EMBED_DIM));
            return encodeF32(flat);
          }),
          threshold: v!.threshold,
        },
      ]),
    ),
  };
}

function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return 1 - dot / (Math.sqrt(na * nb) || 1);
}

/**
 * Subsequence DTW: the best alignment of the whole template against any stretch of `seq` that
 * ends at its last element. Returns the path-length-normalised cost.
 */
export function dtwTail(template: Float32Array[], seq: Float32Array[]): number {
  const n = template.length;
  const m = seq.length;
  if (n === 0 || m === 0) return Infinity;
  // cost[i][j]: best cost aligning template[0..i] with seq[s..j] for some start s; len tracks steps.
  let prev = new Float64Array(m).fill(Infinity);
  let prevLen = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const cur = new Float64Array(m).fill(Infinity);
    const curLen = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      const d = cosineDistance(template[i]!, seq[j]!);
      if (i === 0) {
        // Open beginning: the template may start anywhere in seq.
        cur[j] = d;
        curLen[j] = 1;
        continue;
      }
      let best = prev[j]!;
      let len = prevLen[j]!;
      if (j > 0 && prev[j - 1]! < best) {
        best = prev[j - 1]!;
        len = prevLen[j - 1]!;
      }
      if (j > 0 && cur[j - 1]! < best) {
        best = cur[j - 1]!;
        len = curLen[j - 1]!;
      }
      cur[j] = best + d;
      curLen[j] = len + 1;
    }
    prev = cur;
    prevLen = curLen;
  }
  return prev[m - 1]! / prevLen[m - 1]!;
}

/** Best (lowest) distance of a keyword's templates against the sequence's tail. */
export function matchDistance(kt: KeywordTemplates, seq: Float32Array[]): number {
  return Math.min(...kt.templates.map((t, i) => dtwTail(t, seq) * (kt.thresholds ? kt.threshold / kt.thresholds[i]! : 1)));
}

/**
 * Threshold from the enrolled clips themselves: each take (and, when given, noisy versions of
 * it) matched against the other takes (leave-one-out). A live phrase in a real room is further
 * from the templates than clean takes are from each other, so the noisy versions matter: they
 * tell how far this person's phrase drifts under noise. The margin covers what is left.
 */
export function calibrate(templates: Float32Array[][], variants: Float32Array[][][] = []): number {
  const loo = templates.flatMap((t, i) => {
    const others = templates.filter((_, j) => j !== i);
    return [t, ...(variants[i] ?? [])].map((v) => Math.min(...others.map((o) => dtwTail(o, v))));
  });
  return Math.max(...loo) * CALIBRATION_MARGIN;
}
const CALIBRATION_MARGIN = 1.5;

/** Matches the recent embeddings against the templates (as the engine's decision rule). */
export class TemplateDecider {
  readonly #recent: Float32Array[] = [];
  #keep: number;
  #quietUntilMs = -Infinity;
  /** Last distances per keyword (for tools and the second stage). */
  lastDistance: Partial<Record<Keyword, number>> = {};
  /** Distances of the last few windows per keyword, newest last. */
  readonly #history = new Map<Keyword, number[]>();

  templates: Templates;
  readonly refractoryMs: number;
  constructor(templates: Templates, refractoryMs = 2000) {
    this.templates = templates;
    this.refractoryMs = refractoryMs;
    this.#keep = keepFor(templates);
  }

  /** Whether there is any template to match (none: a second stage lets the first decide alone). */
  empty(): boolean {
    return !Object.values(this.templates).some((k) => k && k.templates.length > 0);
  }

  /** Other templates from now on (a voiceprint enrolled, or deleted when its consent was withdrawn). */
  replace(templates: Templates): void {
    this.templates = templates;
    this.#keep = keepFor(templates);
    this.reset();
  }

  push(embedding: Float32Array, atMs: number): { keyword: Keyword; score: number; atMs: number } | null {
    this.#recent.push(embedding);
    if (this.#recent.length > this.#keep) this.#recent.shift();
    let best: { keyword: Keyword; margin: number; d: number } | null = null;
    for (const [k, kt] of Object.entries(this.templates) as Array<[Keyword, KeywordTemplates]>) {
      const d = matchDistance(kt, this.#recent);
      this.lastDistance[k] = d;
      const h = this.#history.get(k) ?? [];
      h.push(d);
      if (h.length > AGREE_WINDOWS) h.shift();
      this.#history.set(k, h);
      const margin = d / kt.threshold;
      if (margin <= 1 && (!best || margin < best.margin)) best = { keyword: k, margin, d };
    }
    if (!best || atMs < this.#quietUntilMs) return null;
    this.#quietUntilMs = atMs + this.refractoryMs;
    return { keyword: best.keyword, score: Math.max(0, 1 - best.margin / 2), atMs };
  }

  /**
   * Did the keyword match within the last few windows (second-stage check)? The trained engine
   * fires near the end of the phrase, where a template's tail may not have aligned yet.
   */
  agrees(keyword: Keyword): boolean {
    const kt = this.templates[keyword];
    const h = this.#history.get(keyword);
    return kt !== undefined && h !== undefined && Math.min(...h) <= kt.threshold;
  }

  reset(): void {
    for (const e of this.#recent) e.fill(0);
    this.#recent.length = 0;
    this.#history.clear();
    this.#quietUntilMs = -Infinity;
  }
}

/** How many recent embeddings the longest template needs. */
function keepFor(templates: Templates): number {
  const longest = Math.max(1, ...Object.values(templates).flatMap((k) => k!.templates.map((t) => t.length)));
  return Math.ceil(longest * 1.6) + 2;
}

/** How many 80 ms windows back a template match still counts for the second stage. */
const AGREE_WINDOWS = 6;
