/**
 * Trains the hotel command recogniser (agent/hotel/recogniser.ts) from the catalogue's phrasings:
 *
 *   npm run train:commands -- [--catalogue FILE] [--out FILE] [--seed N] [--members N] [--quick]
 *
 * Material: espeak-ng's Mandarin voice variants and made-up espeak speakers (synth.ts), and made-up
 * people built from gcin-voice speaker 5's recorded syllables (human.ts; CC-BY-3.0), saying every
 * command in its catalogue phrasings, in quiet, noise and reverb; negatives are everyday sentences
 * and near-miss requests (a hotel word in a sentence that is not a request). Voices are split:
 * espeak's held-out variants and gcin-voice speaker 3 are only evaluated on; a sixth of the rest
 * choose the threshold (the lowest at which at most 1 % of validation non-commands would be
 * forwarded). Features come from the device's own front end (WebAssembly), so the model sees what
 * the speaker computes. Writes the model with its measured accuracy (`trainedOn`).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeF32 } from "../../agent/wake/classifier.ts";
import { SpeechEmbedder } from "../../agent/wake/embedding.ts";
import { loadCatalogue, BUNDLED_CATALOGUE } from "../../agent/hotel/catalogue.ts";
import { FEATURES, parseCommandModel, type CommandModel, type Member } from "../../agent/hotel/recogniser.ts";
import { rng, shuffle, type Rng } from "../train-wake/augment.ts";
import { commandData, scoreCommands, voiceSplit, type CommandScore, type Sample } from "./data.ts";
import { humanVoicesMissing } from "../train-wake/human.ts";
import { removeEspeakScratch } from "../train-wake/synth.ts";

const { values } = parseArgs({
  options: {
    catalogue: { type: "string", default: BUNDLED_CATALOGUE },
    out: { type: "string", default: "agent/hotel/models/commands.json" },
    seed: { type: "string", default: "1" },
    quick: { type: "boolean", default: false },
    members: { type: "string", default: "3" },
    hidden: { type: "string", default: "64" },
    "per-command": { type: "string", default: "4" },
    "none-weight": { type: "string", default: "8" },
    cache: { type: "string", default: "data/command-cache" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "Usage: npm run train:commands -- [--catalogue FILE] [--out FILE] [--seed N] [--members N] [--hidden N] [--per-command N] [--none-weight W] [--cache DIR] [--quick]\n",
  );
  process.exit(0);
}
const missing = humanVoicesMissing();
if (missing) {
  process.stderr.write(`train-commands: ${missing}\n`);
  process.exit(1);
}

const r = rng(Number(values.seed));
const catalogue = loadCatalogue(values.catalogue);
const ids = catalogue.commands.map((c) => c.id);
const quick = values.quick;
const embedder = await SpeechEmbedder.load();
const { says, NONE } = commandData(catalogue, embedder, r);

const t0 = Date.now();
const log = (s: string): void => void process.stderr.write(`${s} (${Math.round((Date.now() - t0) / 1000)} s)\n`);
const split3 = voiceSplit(quick);
const heldVariants = split3.heldOut;
const valVariants = split3.validation;
const trainVariants = split3.train;
const persons = quick ? 2 : 40;

/** Bumped whenever what the sets are made of changes (voices, phrasings, conditions, the front end): the cache key. */
const DATA_VERSION = 6;
/** Takes of each command per training voice (made-up people: one fewer, at least one). */
const PER_COMMAND = Number(values["per-command"]);
/** Every set, built once and cached (features only, never audio): training runs then take seconds. */
interface Sets {
  train: Sample[];
  validation: Sample[];
  heldOut: Record<string, Sample[]>;
}
const key = createHash("sha256")
  .update(JSON.stringify({ catalogue, seed: values.seed, quick, data: DATA_VERSION, ...(PER_COMMAND !== 2 ? { perCommand: PER_COMMAND } : {}) }))
  .digest("hex")
  .slice(0, 16);
const cacheFile = join(values.cache, `commands-${key}.json`);
async function build(): Promise<Sets> {
  const train: Sample[] = [];
  for (const v of quick ? trainVariants.slice(0, 6) : trainVariants)
    train.push(...(await says({ kind: "espeak", variant: v }, "synthetic", { perCommand: PER_COMMAND, everyday: 24, nearMisses: 12 }, "random", "train")));
  log(`synthetic training utterances: ${train.length}`);
  for (let p = 0; p < persons; p++)
    train.push(
      ...(await says({ kind: "human", speaker: "5" }, "human", { perCommand: Math.max(1, PER_COMMAND - 1), everyday: 10, nearMisses: 6 }, "random", "train")),
    );
  log(`with human-voice (gcin-voice speaker 5) utterances: ${train.length}`);
  const validation: Sample[] = [];
  for (const v of quick ? valVariants.slice(0, 2) : valVariants)
    validation.push(...(await says({ kind: "espeak", variant: v }, "synthetic", { perCommand: 1, everyday: 24, nearMisses: 8 }, "random", "validation")));
  for (let p = 0; p < (quick ? 1 : 10); p++)
    validation.push(...(await says({ kind: "human", speaker: "5" }, "human", { perCommand: 1, everyday: 16, nearMisses: 6 }, "random", "validation")));
  log(`validation utterances: ${validation.length}`);
  // Held out: espeak variants never trained on, and the human speaker never trained on.
  const heldOut: Record<string, Sample[]> = {};
  for (const [name, cond] of [
    ["quiet", "quiet"],
    ["10 dB", 10],
  ] as const) {
    const syn: Sample[] = [];
    for (const v of quick ? heldVariants.slice(0, 2) : heldVariants)
      syn.push(...(await says({ kind: "espeak", variant: v }, "synthetic", { perCommand: 1, everyday: 12, nearMisses: 4 }, cond, "test")));
    heldOut[`synthetic held-out voices, ${name}`] = syn;
    const hum: Sample[] = [];
    for (let q = 0; q < (quick ? 1 : 12); q++)
      hum.push(...(await says({ kind: "human", speaker: "3" }, "human", { perCommand: 1, everyday: 6, nearMisses: 3 }, cond, "test")));
    heldOut[`human speaker 3 (never trained on), ${name}`] = hum;
  }
  return { train, validation, heldOut };
}
const pack = (xs: Sample[]) => xs.map((x) => ({ ...x, x: encodeF32(x.x) }));
function decodeF32(b64: string): Float32Array {
  const b = Buffer.from(b64, "base64");
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}
const unpack = (xs: Array<Omit<Sample, "x"> & { x: string }>): Sample[] => xs.map((x) => ({ ...x, x: decodeF32(x.x) }));
let sets: Sets;
if (existsSync(cacheFile)) {
  const raw = JSON.parse(readFileSync(cacheFile, "utf8")) as { train: never; validation: never; heldOut: Record<string, never> };
  sets = {
    train: unpack(raw.train),
    validation: unpack(raw.validation),
    heldOut: Object.fromEntries(Object.entries(raw.heldOut).map(([k, v]) => [k, unpack(v)])),
  };
  log(`sets from ${cacheFile}`);
} else {
  sets = await build();
  mkdirSync(values.cache, { recursive: true });
  writeFileSync(
    cacheFile,
    JSON.stringify({
      train: pack(sets.train),
      validation: pack(sets.validation),
      heldOut: Object.fromEntries(Object.entries(sets.heldOut).map(([k, v]) => [k, pack(v)])),
    }),
  );
}
const { train, validation } = sets;

// Standardise, then a one-hidden-layer MLP with softmax: Adam on mini-batches, dropout, weight
// decay; "none" weighs --none-weight (default 8: an everyday sentence forwarded from a guest room is the worse error).
const NONE_WEIGHT = Number(values["none-weight"]);
const mean = new Float32Array(FEATURES);
const std = new Float32Array(FEATURES);
for (const s of train) for (let i = 0; i < FEATURES; i++) mean[i] = mean[i]! + s.x[i]! / train.length;
for (const s of train) for (let i = 0; i < FEATURES; i++) std[i] = std[i]! + (s.x[i]! - mean[i]!) ** 2 / train.length;
for (let i = 0; i < FEATURES; i++) std[i] = Math.sqrt(std[i]!) + 1e-3;
const H = Number(values.hidden);
const OUT = ids.length + 1;
function init(n: number, fanIn: number, fanOut: number, rr: Rng): Float32Array<ArrayBuffer> {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rr() * 2 - 1) * Math.sqrt(6 / (fanIn + fanOut));
  return a;
}
const epochs = quick ? 10 : 120;
const BATCH = 32;
const xs = train.map((q) => ({
  x: Float32Array.from(q.x, (v, i) => (v - mean[i]!) / std[i]!),
  y: q.y,
  w: (q.group === "human" ? 2 : 1) * (q.y === NONE ? NONE_WEIGHT : 1),
}));

/** One member of the ensemble, from its own seed (training draws from its own generator: a run from cached sets gives the same model as one that built them). */
function trainMember(seed: number): Member {
  const tr = rng(seed);
  const w1 = init(FEATURES * H, FEATURES, H, tr);
  const b1 = new Float32Array(H);
  const w2 = init(H * OUT, H, OUT, tr);
  const b2 = new Float32Array(OUT);
  const params = [w1, b1, w2, b2];
  const grads = params.map((q) => new Float64Array(q.length));
  const m1 = params.map((q) => new Float64Array(q.length));
  const m2 = params.map((q) => new Float64Array(q.length));
  const order = [...xs];
  const h = new Float64Array(H);
  const p = new Float64Array(OUT);
  const gh = new Float64Array(H);
  let t = 0;
  for (let ep = 0; ep < epochs; ep++) {
    const lr = 1e-3 * (0.1 + 0.9 * (1 - ep / epochs));
    shuffle(order, tr);
    let loss = 0;
    for (let start = 0; start < order.length; start += BATCH) {
      for (const g of grads) g.fill(0);
      const batch = order.slice(start, start + BATCH);
      for (const { x, y, w } of batch) {
        for (let j = 0; j < H; j++) {
          let z = b1[j]!;
          for (let i = 0; i < FEATURES; i++) z += x[i]! * w1[i * H + j]!;
          // Dropout 0.2 on the hidden layer (inverted).
          h[j] = z > 0 && tr() >= 0.2 ? z / 0.8 : 0;
        }
        let max = -Infinity;
        for (let c = 0; c < OUT; c++) {
          let z = b2[c]!;
          for (let j = 0; j < H; j++) z += h[j]! * w2[j * OUT + c]!;
          p[c] = z;
          max = Math.max(max, z);
        }
        let zsum = 0;
        for (let c = 0; c < OUT; c++) zsum += p[c] = Math.exp(p[c]! - max);
        for (let c = 0; c < OUT; c++) p[c] = p[c]! / zsum;
        loss -= Math.log(Math.max(1e-9, p[y]!)) * w;
        gh.fill(0);
        for (let c = 0; c < OUT; c++) {
          const g = (p[c]! - (c === y ? 1 : 0)) * w;
          for (let j = 0; j < H; j++) {
            if (h[j]) gh[j] = gh[j]! + g * w2[j * OUT + c]!;
            grads[2]![j * OUT + c] = grads[2]![j * OUT + c]! + g * h[j]!;
          }
          grads[3]![c] = grads[3]![c]! + g;
        }
        for (let j = 0; j < H; j++) {
          if (!h[j]) continue;
          const g = gh[j]! / 0.8;
          grads[1]![j] = grads[1]![j]! + g;
          for (let i = 0; i < FEATURES; i++) grads[0]![i * H + j] = grads[0]![i * H + j]! + g * x[i]!;
        }
      }
      // Adam (with decoupled weight decay on the weights).
      t++;
      const c1 = 1 - 0.9 ** t;
      const c2 = 1 - 0.999 ** t;
      params.forEach((q, k) => {
        const g = grads[k]!;
        const decay = k === 0 || k === 2 ? 1e-4 : 0;
        for (let i = 0; i < q.length; i++) {
          const gi = g[i]! / batch.length;
          m1[k]![i] = 0.9 * m1[k]![i]! + 0.1 * gi;
          m2[k]![i] = 0.999 * m2[k]![i]! + 0.001 * gi * gi;
          q[i] = q[i]! - lr * (m1[k]![i]! / c1 / (Math.sqrt(m2[k]![i]! / c2) + 1e-8) + decay * q[i]!);
        }
      });
    }
    if (ep % 20 === 19 || ep === epochs - 1) log(`member ${seed}: epoch ${ep + 1}/${epochs}: loss ${(loss / order.length).toFixed(4)}`);
  }
  return { w1, b1, w2, b2 };
}

// An ensemble: members trained from different seeds, their probabilities averaged. One network's
// top-1 and forwarded share moved by several points from seed to seed; the average is steadier.
const MEMBERS = quick ? 1 : Number(values.members);
const members: Member[] = [];
for (let k = 0; k < MEMBERS; k++) members.push(trainMember(Number(values.seed) * 7919 + 1 + k));
const model = (threshold: number): CommandModel => ({
  format: "spa-hotel-commands/2",
  commands: catalogue.commands.map((c) => ({ id: c.id, text: c.text })),
  hidden: H,
  mean,
  std,
  members,
  threshold,
});

const grid = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999];
let threshold = 0.999;
for (const t of grid) {
  const v = scoreCommands(model(t), validation);
  log(`threshold ${t}: validation ${v.top1} % of ${v.commands} commands, ${v.forwarded} % of ${v.nonCommands} non-commands forwarded`);
  if (v.forwarded <= 1 && t < threshold) threshold = t;
}
log(`threshold: ${threshold}`);

const report: Record<string, CommandScore> = {};
for (const [name, set] of Object.entries(sets.heldOut)) report[name] = scoreCommands(model(threshold), set);
for (const [k, v] of Object.entries(report))
  log(
    `HELD-OUT ${k}: ${v.top1} % top-1 of ${v.commands} commands; forwarded: ${v.everydayForwarded} % of ${v.everyday} everyday, ${v.nearMissForwarded} % of ${v.nearMisses} near-miss`,
  );

const final = model(threshold);
const file = {
  format: final.format,
  commands: final.commands,
  hidden: H,
  mean: encodeF32(mean),
  std: encodeF32(std),
  members: members.map((m) => ({ w1: encodeF32(m.w1), b1: encodeF32(m.b1), w2: encodeF32(m.w2), b2: encodeF32(m.b2) })),
  threshold,
  trainedOn: {
    catalogue: values.catalogue === BUNDLED_CATALOGUE ? "config/hotel-commands.json" : values.catalogue,
    synthetic: `espeak-ng cmn variants (${trainVariants.length} voices; ${heldVariants.length} held out)`,
    human: "gcin-voice speaker 5 (ChionMeilin, voice of Chu Lo), CC-BY-3.0; speaker 3 held out",
    members: MEMBERS,
    quick,
    heldOut: report,
  },
};
parseCommandModel(JSON.parse(JSON.stringify(file)), values.out);
writeFileSync(values.out, JSON.stringify(file) + "\n");
removeEspeakScratch();
log(`wrote ${values.out}`);
