/**
 * The on-device hotel command recogniser: a kept session's speech embeddings (the wake word's
 * front end, agent/wake/embedding.ts) summarised over time — the mean of each quarter of the
 * utterance and the maximum over all of it — and a few small MLPs (an ensemble, their
 * probabilities averaged) with one output per catalogue command and one for "none of these". A command is recognised only when it wins and its probability
 * reaches the model's threshold (chosen by scripts/train-commands on validation voices so that
 * almost no other speech is forwarded); anything else is "none". Pure: embeddings in, a decision out.
 */
import { firstIssue, readJsonFile } from "../json-file.ts";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { AgentError } from "../errors.ts";
import { EMBED_DIM } from "../wake/embedding.ts";
import { Float32Base64 } from "../wake/classifier.ts";

/**
 * Silence put in front of a session before it is embedded (the hotel sink does it; training
 * does the same): the front end's first embedding then always starts in silence, however soon
 * after the wake word the session began. Without it a request said straight after the wake word
 * scored as "none" with full confidence.
 */
export const LEAD_SILENCE_SAMPLES = 8000;
/** Silence after the speech, as training has it. */
export const TRAIL_SILENCE_SAMPLES = 8000;

const FRAME = 512;

/**
 * The stretch of a session that holds speech, by frame energy: frames louder than four times the
 * session's quiet level (its 10th-percentile frame), with 0.1 s kept before and 0.2 s after.
 * A session's silence before the request (the talk button held a while, a pause after the wake
 * word) is not the request: the recogniser was trained on requests with half a second around
 * them, and a second or more of silence in front moved its decisions. Null if nothing stands out.
 */
export function speechSpan(audio: Int16Array): [number, number] | null {
  const n = Math.floor(audio.length / FRAME);
  if (n === 0) return null;
  const rms = new Float64Array(n);
  for (let f = 0; f < n; f++) {
    let e = 0;
    for (let i = f * FRAME; i < (f + 1) * FRAME; i++) e += audio[i]! * audio[i]!;
    rms[f] = Math.sqrt(e / FRAME);
  }
  const sorted = Float64Array.from(rms).sort();
  const floor = sorted[Math.floor(n * 0.1)]!;
  const threshold = Math.max(floor * 4, 100);
  let first = -1;
  let last = -1;
  for (let f = 0; f < n; f++)
    if (rms[f]! > threshold) {
      if (first < 0) first = f;
      last = f;
    }
  if (first < 0) return null;
  return [Math.max(0, first * FRAME - 1600), Math.min(audio.length, (last + 1) * FRAME + 3200)];
}

/** What the front end embeds for a session: LEAD_SILENCE_SAMPLES, its speech (speechSpan, or all of it), TRAIL_SILENCE_SAMPLES. A new buffer. */
export function framedForRecognition(audio: Int16Array): Int16Array {
  const [a, b] = speechSpan(audio) ?? [0, audio.length];
  const out = new Int16Array(LEAD_SILENCE_SAMPLES + (b - a) + TRAIL_SILENCE_SAMPLES);
  out.set(audio.subarray(a, b), LEAD_SILENCE_SAMPLES);
  return out;
}

/** Quarters of the utterance averaged, plus the maximum over it. */
export const SEGMENTS = 4;
export const FEATURES = (SEGMENTS + 1) * EMBED_DIM;

const MemberSchema = z.object({ w1: Float32Base64, b1: Float32Base64, w2: Float32Base64, b2: Float32Base64 }).strict();
export type Member = z.infer<typeof MemberSchema>;

export const CommandModelSchema = z
  .object({
    format: z.literal("spa-hotel-commands/2"),
    commands: z.array(z.object({ id: z.string(), text: z.string() }).strict()).min(1),
    hidden: z.number().int().min(1).max(512),
    mean: Float32Base64,
    std: Float32Base64,
    /** Networks trained from different seeds; their probabilities are averaged. */
    members: z.array(MemberSchema).min(1).max(16),
    threshold: z.number().min(0).max(1),
    trainedOn: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type CommandModel = z.infer<typeof CommandModelSchema>;

export const BUNDLED_COMMAND_MODEL = fileURLToPath(new URL("./models/commands.json", import.meta.url));

/** The trained recogniser (scripts/train-commands), checked. */
export function loadCommandModel(path = BUNDLED_COMMAND_MODEL): CommandModel {
  return parseCommandModel(readJsonFile(path, "CONFIG_INVALID", "the hotel command model"), path);
}

export function parseCommandModel(raw: unknown, source = "command model"): CommandModel {
  const r = CommandModelSchema.safeParse(raw);
  if (!r.success) throw new AgentError("CONFIG_INVALID", `${source}: ${firstIssue(r.error)}`);
  const m = r.data;
  const out = m.commands.length + 1;
  if (
    m.mean.length !== FEATURES ||
    m.std.length !== FEATURES ||
    m.members.some((n) => n.w1.length !== FEATURES * m.hidden || n.b1.length !== m.hidden || n.w2.length !== m.hidden * out || n.b2.length !== out)
  )
    throw new AgentError("CONFIG_INVALID", `${source}: weight shapes do not match ${FEATURES} features, ${m.hidden} hidden, ${out} outputs`);
  return m;
}

/** The summary of an utterance's embeddings the model reads (FEATURES values), or null if there are none. */
export function summarise(embeddings: readonly Float32Array[]): Float32Array | null {
  const T = embeddings.length;
  if (T === 0) return null;
  const f = new Float32Array(FEATURES);
  for (let k = 0; k < SEGMENTS; k++) {
    const a = Math.floor((k * T) / SEGMENTS);
    const b = Math.max(a + 1, Math.floor(((k + 1) * T) / SEGMENTS));
    for (let t = a; t < b; t++) {
      const e = embeddings[Math.min(t, T - 1)]!;
      for (let d = 0; d < EMBED_DIM; d++) f[k * EMBED_DIM + d] = f[k * EMBED_DIM + d]! + e[d]! / (b - a);
    }
  }
  const base = SEGMENTS * EMBED_DIM;
  for (let d = 0; d < EMBED_DIM; d++) {
    let m = -Infinity;
    for (const e of embeddings) if (e[d]! > m) m = e[d]!;
    f[base + d] = m;
  }
  return f;
}

/** Class probabilities (one per command, then "none") of a summary: the members' softmax outputs averaged. */
export function probabilities(m: CommandModel, features: Float32Array): Float64Array {
  const out = m.commands.length + 1;
  const x = new Float64Array(FEATURES);
  for (let i = 0; i < FEATURES; i++) x[i] = (features[i]! - m.mean[i]!) / m.std[i]!;
  const avg = new Float64Array(out);
  const h = new Float64Array(m.hidden);
  const p = new Float64Array(out);
  for (const n of m.members) {
    for (let j = 0; j < m.hidden; j++) {
      let s = n.b1[j]!;
      for (let i = 0; i < FEATURES; i++) s += n.w1[i * m.hidden + j]! * x[i]!;
      h[j] = s > 0 ? s : 0;
    }
    let max = -Infinity;
    for (let c = 0; c < out; c++) {
      let s = n.b2[c]!;
      for (let j = 0; j < m.hidden; j++) s += h[j]! * n.w2[j * out + c]!;
      p[c] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let c = 0; c < out; c++) z += p[c] = Math.exp(p[c]! - max);
    for (let c = 0; c < out; c++) avg[c] = avg[c]! + p[c]! / z / m.members.length;
  }
  return avg;
}

export type Recognised = { id: string; text: string; confidence: number };

/** The command said, or null ("none of these", or not sure enough). */
export function recognise(m: CommandModel, embeddings: readonly Float32Array[]): Recognised | null {
  const f = summarise(embeddings);
  return f ? decide(m, f) : null;
}

/** The decision on an utterance's summary (summarise()). */
export function decide(m: CommandModel, f: Float32Array): Recognised | null {
  const p = probabilities(m, f);
  let best = 0;
  for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
  if (best === m.commands.length || p[best]! < m.threshold) return null;
  const c = m.commands[best]!;
  return { id: c.id, text: c.text, confidence: p[best]! };
}
