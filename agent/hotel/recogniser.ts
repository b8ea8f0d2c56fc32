/**
 * The on-device hotel command recogniser: a kept session's speech embeddings (the wake word's
 * front end, agent/wake/embedding.ts) summarised over time — the mean of each quarter of the
 * utterance and the maximum over all of it — and a small MLP with one output per catalogue command
 * and one for "none of these". A command is recognised only when it wins and its probability
 * reaches the model's threshold (chosen by scripts/train-commands on validation voices so that
 * almost no other speech is forwarded); anything else is "none". Pure: embeddings in, a decision out.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { AgentError, toError } from "../errors.ts";
import { EMBED_DIM } from "../wake/embedding.ts";
import { Float32Base64 } from "../wake/classifier.ts";

/** Quarters of the utterance averaged, plus the maximum over it. */
export const SEGMENTS = 4;
export const FEATURES = (SEGMENTS + 1) * EMBED_DIM;

export const CommandModelSchema = z
  .object({
    format: z.literal("spa-hotel-commands/1"),
    commands: z.array(z.object({ id: z.string(), text: z.string() }).strict()).min(1),
    hidden: z.number().int().min(1).max(512),
    mean: Float32Base64,
    std: Float32Base64,
    w1: Float32Base64,
    b1: Float32Base64,
    w2: Float32Base64,
    b2: Float32Base64,
    threshold: z.number().min(0).max(1),
    trainedOn: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type CommandModel = z.infer<typeof CommandModelSchema>;

export const BUNDLED_COMMAND_MODEL = fileURLToPath(new URL("./models/commands.json", import.meta.url));

/** The trained recogniser (scripts/train-commands), checked. */
export function loadCommandModel(path = BUNDLED_COMMAND_MODEL): CommandModel {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new AgentError("CONFIG_INVALID", `cannot read the hotel command model ${path}: ${toError(e).message}`, { cause: e });
  }
  return parseCommandModel(raw, path);
}

export function parseCommandModel(raw: unknown, source = "command model"): CommandModel {
  const r = CommandModelSchema.safeParse(raw);
  if (!r.success) throw new AgentError("CONFIG_INVALID", `${source}: ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`);
  const m = r.data;
  const out = m.commands.length + 1;
  if (
    m.mean.length !== FEATURES ||
    m.std.length !== FEATURES ||
    m.w1.length !== FEATURES * m.hidden ||
    m.b1.length !== m.hidden ||
    m.w2.length !== m.hidden * out ||
    m.b2.length !== out
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

/** Class probabilities (one per command, then "none") of a summary. */
export function probabilities(m: CommandModel, features: Float32Array): Float64Array {
  const out = m.commands.length + 1;
  const h = new Float64Array(m.hidden);
  for (let j = 0; j < m.hidden; j++) {
    let s = m.b1[j]!;
    for (let i = 0; i < FEATURES; i++) s += m.w1[i * m.hidden + j]! * ((features[i]! - m.mean[i]!) / m.std[i]!);
    h[j] = s > 0 ? s : 0;
  }
  const p = new Float64Array(out);
  let max = -Infinity;
  for (let c = 0; c < out; c++) {
    let s = m.b2[c]!;
    for (let j = 0; j < m.hidden; j++) s += h[j]! * m.w2[j * out + c]!;
    p[c] = s;
    if (s > max) max = s;
  }
  let z = 0;
  for (let c = 0; c < out; c++) z += p[c] = Math.exp(p[c]! - max);
  for (let c = 0; c < out; c++) p[c] = p[c]! / z;
  return p;
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
