/**
 * Trains the hotel command recogniser (agent/hotel/recogniser.ts) from the catalogue's phrasings:
 *
 *   node scripts/train-commands/index.ts [--catalogue FILE] [--out FILE] [--quick]
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
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { encodeF32 } from "../../agent/wake/classifier.ts";
import { SpeechEmbedder } from "../../agent/wake/embedding.ts";
import { loadCatalogue, BUNDLED_CATALOGUE } from "../../agent/hotel/catalogue.ts";
import { decide, FEATURES, parseCommandModel, summarise, type CommandModel } from "../../agent/hotel/recogniser.ts";
import { mixAtSnr, pick, pinkNoise, reverb, rng, toFloat, toInt16, uniform, whiteNoise, type Rng } from "../train-wake/augment.ts";
import { SENTENCES, split } from "../train-wake/corpus.ts";
import { humanSpeak, humanVoicesMissing, randomTake, type HumanSpeaker } from "../train-wake/human.ts";
import { isHeldOut, listVariants, randomVariant, removeEspeakScratch, synth } from "../train-wake/synth.ts";

const { values } = parseArgs({
  options: {
    catalogue: { type: "string", default: BUNDLED_CATALOGUE },
    out: { type: "string", default: "agent/hotel/models/commands.json" },
    seed: { type: "string", default: "1" },
    quick: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write("Usage: node scripts/train-commands/index.ts [--catalogue FILE] [--out FILE] [--seed N] [--quick]\n");
  process.exit(0);
}
const missing = humanVoicesMissing();
if (missing) {
  process.stderr.write(`train-commands: ${missing}\n`);
  process.exit(1);
}

/** Sentences with a hotel word that are not requests: the recogniser must not forward them. */
const NEAR_MISS_REQUESTS = [
  "这双拖鞋很舒服",
  "毛巾是白色的",
  "我刚才喝了一瓶水",
  "房间打扫得很干净",
  "前台的服务员很热情",
  "退房时间是几点来着",
  "被子太厚了有点热",
  "菜单上的菜都很贵",
  "我不需要任何东西",
  "空调的声音有点大",
  "明天我们去哪里玩",
  "牙刷放在包里了",
];

const r = rng(Number(values.seed));
const catalogue = loadCatalogue(values.catalogue);
const ids = catalogue.commands.map((c) => c.id);
const NONE = ids.length;
const quick = values.quick;
const embedder = await SpeechEmbedder.load();

type Sample = { x: Float32Array; y: number; group: string };
type Speaker = { kind: "espeak"; variant: string } | { kind: "human"; speaker: HumanSpeaker };

/** One utterance by a speaker, in a random room (or quiet / at a given SNR), as the recogniser's features. */
async function utterance(text: string, who: Speaker, condition: "random" | "quiet" | number): Promise<Float32Array | null> {
  const speech =
    who.kind === "espeak"
      ? await synth(text, { lang: "cmn", variant: who.variant, speed: Math.round(uniform(r, 130, 230)), pitch: Math.round(uniform(r, 20, 80)) })
      : await humanSpeak(text, randomTake(r, who.speaker, [3, 5]), Math.floor(r() * 1000));
  // Silence around it, as a session has (the wake word before, trailing silence after).
  const padded = new Int16Array(speech.length + 16000);
  padded.set(speech, 8000);
  let x = toFloat(padded);
  const c = condition === "random" ? (r() < 0.4 ? "quiet" : uniform(r, 3, 25)) : condition;
  if (typeof c === "number") x = mixAtSnr(r() < 0.25 ? reverb(x, r) : x, r() < 0.5 ? pinkNoise(x.length, r) : whiteNoise(x.length, r), c);
  const e = await embedder.embedClip(toInt16(x, uniform(r, -12, -2), false));
  return summarise(e);
}

const sentences = split(SENTENCES);
async function says(
  who: Speaker,
  group: string,
  perCommand: number,
  negatives: number,
  condition: "random" | "quiet" | number,
  heldPhrasings = false,
): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let c = 0; c < ids.length; c++) {
    for (let k = 0; k < perCommand; k++) {
      const x = await utterance(pick(r, catalogue.commands[c]!.examples), who, condition);
      if (x) out.push({ x, y: c, group });
    }
  }
  const pool = heldPhrasings
    ? [...sentences.held, ...NEAR_MISS_REQUESTS.filter((_, i) => i % 2 === 1)]
    : [...sentences.train, ...NEAR_MISS_REQUESTS.filter((_, i) => i % 2 === 0)];
  for (let k = 0; k < negatives; k++) {
    const x = await utterance(pick(r, pool), who, condition);
    if (x) out.push({ x, y: NONE, group });
  }
  return out;
}

const t0 = Date.now();
const log = (s: string): void => void process.stderr.write(`${s} (${Math.round((Date.now() - t0) / 1000)} s)\n`);
const variants = listVariants().filter((v) => !v.startsWith("rand"));
const heldVariants = variants.filter(isHeldOut);
const rest = variants.filter((v) => !isHeldOut(v));
const valVariants = rest.filter((_, i) => i % 6 === 5);
const trainVariants = [...rest.filter((_, i) => i % 6 !== 5), ...Array.from({ length: quick ? 4 : 60 }, (_, i) => randomVariant(`rand-${i}`))];
const persons = quick ? 2 : 40;

const train: Sample[] = [];
for (const v of quick ? trainVariants.slice(0, 6) : trainVariants) train.push(...(await says({ kind: "espeak", variant: v }, "synthetic", 2, 8, "random")));
log(`synthetic training utterances: ${train.length}`);
for (let p = 0; p < persons; p++) train.push(...(await says({ kind: "human", speaker: "5" }, "human", 1, 4, "random")));
log(`with human-voice (gcin-voice speaker 5) utterances: ${train.length}`);
const validation: Sample[] = [];
for (const v of quick ? valVariants.slice(0, 2) : valVariants)
  validation.push(...(await says({ kind: "espeak", variant: v }, "synthetic", 1, 12, "random", true)));
for (let p = 0; p < (quick ? 1 : 10); p++) validation.push(...(await says({ kind: "human", speaker: "5" }, "human", 1, 6, "random", true)));
log(`validation utterances: ${validation.length}`);

// Standardise, then a one-hidden-layer MLP with softmax, trained by SGD with momentum and weight decay.
const mean = new Float32Array(FEATURES);
const std = new Float32Array(FEATURES);
for (const s of train) for (let i = 0; i < FEATURES; i++) mean[i] = mean[i]! + s.x[i]! / train.length;
for (const s of train) for (let i = 0; i < FEATURES; i++) std[i] = std[i]! + (s.x[i]! - mean[i]!) ** 2 / train.length;
for (let i = 0; i < FEATURES; i++) std[i] = Math.sqrt(std[i]!) + 1e-3;
const H = 64;
const OUT = ids.length + 1;
function init(n: number, fanIn: number, fanOut: number, rr: Rng): Float32Array<ArrayBuffer> {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rr() * 2 - 1) * Math.sqrt(6 / (fanIn + fanOut));
  return a;
}
const w1 = init(FEATURES * H, FEATURES, H, r);
const b1 = new Float32Array(H);
const w2 = init(H * OUT, H, OUT, r);
const b2 = new Float32Array(OUT);
const model = (threshold: number): CommandModel => ({
  format: "spa-hotel-commands/1",
  commands: catalogue.commands.map((c) => ({ id: c.id, text: c.text })),
  hidden: H,
  mean,
  std,
  w1,
  b1,
  w2,
  b2,
  threshold,
});
const epochs = quick ? 5 : 40;
const vel = [new Float32Array(w1.length), new Float32Array(H), new Float32Array(w2.length), new Float32Array(OUT)];
const xs = train.map((s) => ({ x: Float32Array.from(s.x, (v, i) => (v - mean[i]!) / std[i]!), y: s.y, w: s.group === "human" ? 2 : 1 }));
const h = new Float32Array(H);
const p = new Float64Array(OUT);
const gh = new Float64Array(H);
for (let ep = 0; ep < epochs; ep++) {
  const lr = 0.002 * (1 - ep / epochs) + 0.0002;
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  let loss = 0;
  for (const { x, y, w } of xs) {
    for (let j = 0; j < H; j++) {
      let s = b1[j]!;
      for (let i = 0; i < FEATURES; i++) s += x[i]! * w1[i * H + j]!;
      // Dropout 0.2 on the hidden layer (inverted).
      h[j] = s > 0 && r() >= 0.2 ? s / 0.8 : 0;
    }
    let max = -Infinity;
    for (let c = 0; c < OUT; c++) {
      let s = b2[c]!;
      for (let j = 0; j < H; j++) s += h[j]! * w2[j * OUT + c]!;
      p[c] = s;
      max = Math.max(max, s);
    }
    let z = 0;
    for (let c = 0; c < OUT; c++) z += p[c] = Math.exp(p[c]! - max);
    for (let c = 0; c < OUT; c++) p[c] = p[c]! / z;
    loss -= Math.log(Math.max(1e-9, p[y]!)) * w;
    gh.fill(0);
    const step = (v: Float32Array, k: number, param: Float32Array, g: number): void => {
      v[k] = 0.9 * v[k]! + g + 1e-4 * param[k]!;
      param[k] = param[k]! - lr * v[k]!;
    };
    for (let c = 0; c < OUT; c++) {
      const g = (p[c]! - (c === y ? 1 : 0)) * w;
      for (let j = 0; j < H; j++) {
        if (h[j]) gh[j] = gh[j]! + g * w2[j * OUT + c]!;
        step(vel[2]!, j * OUT + c, w2, g * h[j]!);
      }
      step(vel[3]!, c, b2, g);
    }
    for (let j = 0; j < H; j++) {
      if (!h[j]) continue;
      const g = gh[j]! / 0.8;
      step(vel[1]!, j, b1, g);
      for (let i = 0; i < FEATURES; i++) step(vel[0]!, i * H + j, w1, g * x[i]!);
    }
  }
  log(`epoch ${ep + 1}/${epochs}: loss ${(loss / xs.length).toFixed(4)}`);
}

/** Top-1 accuracy on commands and the share of non-commands forwarded, at a threshold. */
function score(set: Sample[], threshold: number): { commands: number; accuracy: number; nonCommands: number; forwarded: number } {
  const m = model(threshold);
  let ok = 0;
  let n = 0;
  let fwd = 0;
  let neg = 0;
  for (const s of set) {
    const got = recogniseFeatures(m, s.x);
    if (s.y === NONE) {
      neg++;
      if (got !== null) fwd++;
    } else {
      n++;
      if (got === ids[s.y]) ok++;
    }
  }
  const pct = (a: number, b: number): number => (b ? Math.round((1000 * a) / b) / 10 : 0);
  return { commands: n, accuracy: pct(ok, n), nonCommands: neg, forwarded: pct(fwd, neg) };
}
function recogniseFeatures(m: CommandModel, f: Float32Array): string | null {
  return decide(m, f)?.id ?? null;
}

const grid = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99];
let threshold = 0.99;
for (const t of grid) {
  const v = score(validation, t);
  log(`threshold ${t}: validation ${v.accuracy} % of ${v.commands} commands, ${v.forwarded} % of ${v.nonCommands} non-commands forwarded`);
  if (v.forwarded <= 1 && t < threshold) threshold = t;
}
log(`threshold: ${threshold}`);

// Held out: espeak variants never trained on, and the human speaker never trained on.
const report: Record<string, ReturnType<typeof score>> = {};
for (const [name, cond] of [
  ["quiet", "quiet"],
  ["10 dB", 10],
] as const) {
  const syn: Sample[] = [];
  for (const v of quick ? heldVariants.slice(0, 2) : heldVariants) syn.push(...(await says({ kind: "espeak", variant: v }, "synthetic", 1, 4, cond, true)));
  report[`synthetic held-out voices, ${name}`] = score(syn, threshold);
  const hum: Sample[] = [];
  for (let q = 0; q < (quick ? 1 : 12); q++) hum.push(...(await says({ kind: "human", speaker: "3" }, "human", 1, 4, cond, true)));
  report[`human speaker 3 (never trained on), ${name}`] = score(hum, threshold);
}
for (const [k, v] of Object.entries(report))
  log(`HELD-OUT ${k}: ${v.accuracy} % top-1 of ${v.commands} commands; ${v.forwarded} % of ${v.nonCommands} non-commands forwarded`);

const final = model(threshold);
const file = {
  format: final.format,
  commands: final.commands,
  hidden: H,
  mean: encodeF32(mean),
  std: encodeF32(std),
  w1: encodeF32(w1),
  b1: encodeF32(b1),
  w2: encodeF32(w2),
  b2: encodeF32(b2),
  threshold,
  trainedOn: {
    catalogue: values.catalogue === BUNDLED_CATALOGUE ? "config/hotel-commands.json" : values.catalogue,
    synthetic: `espeak-ng cmn variants (${trainVariants.length} voices; ${heldVariants.length} held out)`,
    human: "gcin-voice speaker 5 (ChionMeilin, voice of Chu Lo), CC-BY-3.0; speaker 3 held out",
    quick,
    heldOut: report,
  },
};
parseCommandModel(JSON.parse(JSON.stringify(file)), values.out);
writeFileSync(values.out, JSON.stringify(file) + "\n");
removeEspeakScratch();
log(`wrote ${values.out}`);
