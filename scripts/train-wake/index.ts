/**
 * scripts/train-wake: reproduces the shipped wake-word weights (agent/wake/models/trained.json)
 * from generated data, and reports accuracy on voices and sentences held out of training.
 *
 *   node scripts/train-wake/index.ts [--help] [--out FILE] [--seed N] [--quick] [--cache DIR | --no-cache]
 *     [--random-voices N] [--conversations N] [--substitutions] [--threads N] [hyper-parameters below]
 *     [--window N] [--hidden N] [--project N] [--epochs N] [--ensemble N] [--scale N] ...
 *
 * Needs espeak-ng and sox (Debian). Takes about 35 minutes on two cores from nothing, 20 with
 * the scene cache; nothing large is written to the repository (the scene cache holds
 * embeddings, never audio, under data/, which git ignores).
 */
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { serializeWakeModel } from "../../agent/wake/classifier.ts";
import { rng } from "./augment.ts";
import { ENGLISH, NEAR_MISSES, SENTENCES, split, substitutionSplit } from "./corpus.ts";
import { ScenePool } from "./pool.ts";
import { CorpusError, corpusSpecs, loadCorpus, splitSpeakers, type Corpus } from "./recordings.ts";
import { conversations, evaluate, HUMAN_EVAL, HUMAN_LEVELS, humanSpecs, scoresOf, specs } from "./evaluate.ts";
import { isHeldOut, listVariants, RANDOM_VOICE_PREFIX } from "./synth.ts";
import { HUMAN_LICENCE, humanVoicesMissing, type HumanSpeaker } from "./human.ts";
import { TRAINING_BABBLE_VOICES } from "./dataset.ts";
import { mergeEnsemble, samplesOf, trainMembers } from "./train.ts";

/**
 * Every option once: parseArgs' table, the --help text and the checks on numbers come from it.
 * Numbers are checked before minutes of work start (NaN would train nonsense).
 */
interface Option {
  arg?: string;
  help: string;
  default?: string;
  /** Numeric options: the smallest value, whether it must be whole, and an exclusive upper bound. */
  min?: number;
  integer?: boolean;
  below?: number;
}
const int = (min: number) => ({ min, integer: true });
const OPTIONS: Record<string, Option> = {
  out: { arg: "FILE", help: "where to write the model", default: "agent/wake/models/trained.json" },
  seed: { arg: "N", help: "seed of the data and of the first ensemble member", default: "1", ...int(0) },
  quick: { help: "a small smoke run (20 made-up speakers, 4 epochs): not for shipping" },
  cache: { arg: "DIR", help: "scene cache, embeddings only, never audio", default: "data/wake-cache" },
  "no-cache": { help: "build every scene again" },
  window: { arg: "N", help: "embeddings per classifier window, 80 ms each", default: "14", ...int(1) },
  hidden: { arg: "N", help: "hidden units per ensemble member", default: "48", ...int(1) },
  project: { arg: "N", help: "factorised first layer, N features per embedding; 0: a full layer", default: "0", ...int(0) },
  epochs: { arg: "N", help: "training epochs per member", default: "16", ...int(1) },
  "near-weight": { arg: "X", help: "weight of near-miss negatives", default: "3", min: 0 },
  dropout: { arg: "X", help: "hidden-layer dropout", default: "0.1", min: 0, below: 1 },
  consecutive: { arg: "N", help: "positive windows in a row before a wake", default: "2", ...int(1) },
  ensemble: { arg: "N", help: "members, seeds seed..seed+N-1", default: "5", ...int(1) },
  scale: { arg: "N", help: "repetitions of the scene grid per voice", default: "4", ...int(1) },
  substitutions: { help: "also train on half of the one-syllable substitutions of the keywords" },
  "random-voices": { arg: "N", help: "made-up espeak speakers", default: "1200", ...int(0) },
  conversations: { arg: "N", help: "extra conversation scenes, six sentences each", default: "600", ...int(0) },
  "human-speaker": {
    arg: "3|5",
    help: "gcin-voice speaker trained on; the other is held out for evaluation (5 is CC-BY-3.0, the only one the shipped weights may learn from)",
    default: "5",
  },
  "human-persons": {
    arg: "N",
    help: "made-up people (pitch, vocal tract, rate) saying each keyword in the human speaker's recorded syllables, with human negatives; 0 (the shipped model, for now): no human speech; 1200 was tried",
    default: "0",
    ...int(0),
  },
  "human-weight": { arg: "X", help: "loss weight of human-voice windows relative to synthetic ones", default: "2", min: 0 },
  corpus: {
    arg: "DIR",
    help: "a vendor's recordings (DIR/<speaker>/{天猫精灵,你好天猫,negative}/*.wav) added to training; speakers split train/validation/test, never a speaker in two",
  },
  "corpus-only": { help: "train on the corpus alone (no synthetic or gcin-voice material; needs --corpus)" },
  threads: {
    arg: "N",
    help: "worker threads for building scenes and training members; the weights do not depend on it",
    default: String(availableParallelism()),
    ...int(1),
  },
  help: { help: "this text" },
};

const USAGE = `Usage: node scripts/train-wake/index.ts [options]

Reproduces agent/wake/models/trained.json from generated data (espeak-ng and sox needed) and
reports accuracy on voices and sentences held out of training. The defaults give the shipped model.

${Object.entries(OPTIONS)
  .map(([name, o]) => `  ${`--${name}${o.arg ? ` ${o.arg}` : ""}`.padEnd(21)}  ${o.help}${o.default !== undefined ? ` (default ${o.default})` : ""}`)
  .join("\n")}
`;

function fail(message: string): never {
  process.stderr.write(`train-wake: ${message}\n`);
  process.exit(1);
}

let parsed: Record<string, string | boolean | undefined>;
try {
  const options = Object.fromEntries(
    Object.entries(OPTIONS).map(([name, o]) => [
      name,
      o.arg ? { type: "string" as const, ...(o.default !== undefined ? { default: o.default } : {}) } : { type: "boolean" as const, default: false },
    ]),
  );
  parsed = parseArgs({ args: process.argv.slice(2), options }).values;
} catch (e) {
  fail(`${(e as Error).message}\n${USAGE}`);
}
if (parsed.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
for (const [name, o] of Object.entries(OPTIONS)) {
  if (o.min === undefined) continue;
  const raw = String(parsed[name]);
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || v < o.min || (o.integer && !Number.isInteger(v)) || (o.below !== undefined && v >= o.below)) {
    fail(`--${name} must be ${o.integer ? "an integer" : "a number"} >= ${o.min}${o.below !== undefined ? ` and < ${o.below}` : ""}, got "${raw}"`);
  }
}
if (parsed["human-speaker"] !== "3" && parsed["human-speaker"] !== "5") fail(`--human-speaker must be 3 or 5, got "${String(parsed["human-speaker"])}"`);
const values = parsed as Record<string, string> & { quick: boolean; substitutions: boolean; "no-cache": boolean; "corpus-only": boolean; corpus?: string };
if (values["corpus-only"] && !values.corpus) fail("--corpus-only needs --corpus DIR");
// A bad corpus fails here, naming the file, before minutes of work start.
let corpus: Corpus | null = null;
try {
  corpus = values.corpus ? loadCorpus(values.corpus) : null;
} catch (e) {
  if (e instanceof CorpusError) fail(e.message);
  throw e;
}
const synthetic = !values["corpus-only"];
const seed = Number(values.seed);
const quick = values.quick!;
const substitutions = values.substitutions!;
const log = (l: string): void => void process.stdout.write(l + "\n");

const variants = listVariants();
// Held-out voices are for the final report only; thresholds are set on validation voices,
// which are also kept out of training, so the report is not tuned to its own test set.
const notHeld = variants.filter((v) => !isHeldOut(v));
const validationVoices = notHeld.filter((_, i) => i % 6 === 5);
const trainVoices = notHeld.filter((_, i) => i % 6 !== 5);
const heldVoices = variants.filter(isHeldOut);
const sentences = split(SENTENCES);
const english = split(ENGLISH);
const subs = substitutionSplit();
const trainTexts = { sentences: sentences.train, english: english.train, nearMisses: NEAR_MISSES, substitutions: substitutions ? subs.train : [] };
log(
  `voices: ${trainVoices.length} (and ${values["random-voices"]} made-up speakers) for training, ${validationVoices.length} for validation, ${heldVoices.length} held out (${heldVoices.join(" ")})`,
);

const humanPersons = !synthetic ? 0 : quick ? Math.min(20, Number(values["human-persons"])) : Number(values["human-persons"]);
const humanTrain = values["human-speaker"] as HumanSpeaker;
const humanTest: HumanSpeaker = humanTrain === "5" ? "3" : "5";
if (humanPersons > 0) {
  const missing = humanVoicesMissing();
  if (missing) fail(missing);
  log(`human voice: trained on ${HUMAN_LICENCE[humanTrain]}; held out for evaluation: ${HUMAN_LICENCE[humanTest]}`);
}
const pool = await ScenePool.start(values["no-cache"] ? null : values.cache!, Number(values.threads));
const t0 = Date.now();
const randomVoices = Array.from({ length: quick ? 20 : Number(values["random-voices"]) }, (_, i) => `${RANDOM_VOICE_PREFIX}${i}`);
const trainSpecs = synthetic ? specs(trainVoices, trainTexts, rng(seed), quick ? 1 : Number(values.scale), ["random"], randomVoices) : [];
// Hours of ordinary conversation: the bulk of what a speaker hears, and where false wakes per
// hour are counted. Training samples a bounded number of negatives per epoch (half of them the
// currently hardest), so more of them costs building time, not training time.
if (synthetic)
  trainSpecs.push(...conversations([...trainVoices, ...randomVoices], sentences.train, rng(seed + 7), quick ? 10 : Number(values.conversations), ["random"]));
// Human speech (human.ts): the keywords, near-misses, sentences, conversations and syllable
// strings in one recorded person's syllables, said by many made-up people.
const humanTexts = { sentences: sentences.train, nearMisses: NEAR_MISSES, substitutions: subs.train };
if (humanPersons > 0)
  trainSpecs.push(
    ...humanSpecs(humanTrain, humanTexts, rng(seed + 2000), {
      persons: humanPersons,
      conditions: ["random"],
      nearMissTakes: quick ? 1 : 6,
      sentenceTakes: quick ? 1 : 6,
      conversations: quick ? 5 : 300,
      syllableStrings: quick ? 20 : 600,
      babble: [...TRAINING_BABBLE_VOICES],
    }),
  );
// A vendor's corpus: every keyword take three times (as recorded and twice in a random room),
// every negative as recorded and once in a random room; its validation and test speakers apart.
const corpusSplit = corpus ? splitSpeakers(corpus.speakers) : null;
if (corpus && corpusSplit) {
  log(
    `corpus ${corpus.dir}: ${corpus.clips.length} recordings; speakers for training ${corpusSplit.train.join(" ")}; validation ${corpusSplit.validation.join(" ") || "none"}; test ${corpusSplit.test.join(" ")}`,
  );
  trainSpecs.push(
    ...corpusSpecs(corpus, corpusSplit.train, rng(seed + 4000), {
      conditions: ["clean", "random", "random"],
      negativeNoisy: true,
      babble: [...TRAINING_BABBLE_VOICES],
    }),
  );
}
log(`training scenes: ${trainSpecs.length}`);
const trainScenes = await pool.build(trainSpecs, sentences.train, (d) => log(`  built ${d}/${trainSpecs.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)`));
const valSpecs = synthetic ? specs(validationVoices, trainTexts, rng(seed + 500), quick ? 1 : 2, ["random"]) : [];
// Other made-up people in the trained human voice: the thresholds see human speech too.
if (humanPersons > 0)
  valSpecs.push(
    ...humanSpecs(humanTrain, humanTexts, rng(seed + 2500), {
      persons: Math.max(4, Math.round(humanPersons / 20)),
      conditions: ["random"],
      nearMissTakes: 1,
      sentenceTakes: 1,
      conversations: quick ? 5 : 40,
      syllableStrings: quick ? 10 : 60,
      babble: [...TRAINING_BABBLE_VOICES],
    }),
  );
if (corpus && corpusSplit)
  valSpecs.push(
    ...corpusSpecs(corpus, corpusSplit.validation, rng(seed + 4500), { conditions: ["random"], negativeNoisy: true, babble: [...TRAINING_BABBLE_VOICES] }),
  );
log(`validation scenes: ${valSpecs.length}`);
const valScenes = await pool.build(valSpecs, sentences.train, (d) => log(`  built ${d}/${valSpecs.length}`));
const evalSpecs = !synthetic
  ? []
  : specs(
      heldVoices,
      { sentences: sentences.held, english: english.held, nearMisses: NEAR_MISSES, substitutions: subs.held },
      rng(seed + 1000),
      quick ? 1 : 2,
      ["clean", "pink", "babble", "music", "reverb", "white"],
    );
log(`evaluation scenes (held-out voices and sentences): ${evalSpecs.length}`);
const evalScenes = await pool.build(evalSpecs, sentences.held, (d) => log(`  built ${d}/${evalSpecs.length}`));

// The human speaker never trained on, in quiet and at 15, 10 and 5 dB SNR, on held-out sentences.
const humanEvalSpecs =
  humanPersons > 0
    ? humanSpecs(
        humanTest,
        { sentences: sentences.held, nearMisses: NEAR_MISSES, substitutions: subs.held },
        rng(seed + 3000),
        HUMAN_EVAL(quick ? 2 : 12, quick ? 10 : 120, heldVoices),
      )
    : [];
log(`evaluation scenes (held-out human speaker ${humanTest}): ${humanEvalSpecs.length}`);
const humanEvalScenes = await pool.build(humanEvalSpecs, sentences.held, (d) => log(`  built ${d}/${humanEvalSpecs.length}`));
const corpusEvalSpecs =
  corpus && corpusSplit ? corpusSpecs(corpus, corpusSplit.test, rng(seed + 5000), { ...HUMAN_LEVELS, negativeNoisy: false, babble: heldVoices }) : [];
if (corpus) log(`evaluation scenes (held-out corpus speakers): ${corpusEvalSpecs.length}`);
const corpusEvalScenes = await pool.build(corpusEvalSpecs, sentences.held, (d) => log(`  built ${d}/${corpusEvalSpecs.length}`));
await pool.close();
log(
  `scene cache: ${pool.hits} reused, ${pool.misses} built; human syllables ${pool.human.syllables}, said with another tone ${pool.human.fallbacks}, missing ${pool.human.missing}`,
);
const WINDOW = Number(values.window);
// The operating point when validation cannot show the false-wake target met: a strict one,
// since a false wake records the household without intent (0.95 before; on held-out voices
// 0.98 kept 93.5 % detection and cut false wakes on everyday speech by half).
const DEFAULT_THRESHOLD = 0.98;
const samples = samplesOf(trainScenes, WINDOW, Number(values["near-weight"]), Number(values["human-weight"]));
log(`windows: ${samples.length} (${samples.filter((s) => s.y.includes(1)).length} positive)`);
const memberOptions = Array.from({ length: Number(values.ensemble) }, (_, i) => ({
  window: WINDOW,
  hidden: Number(values.hidden),
  epochs: quick ? 4 : Number(values.epochs),
  seed: seed + i,
  lr: 1e-3,
  l2: 1e-4,
  dropout: Number(values.dropout),
  inputNoise: 0.1,
  project: Number(values.project),
}));
const members = await trainMembers(trainScenes, samples, memberOptions, Number(values.threads), log);
const model = mergeEnsemble(members);

model.consecutive = Number(values.consecutive);
// Thresholds: on the validation scenes, per keyword the lowest threshold whose false-wake rate
// is at most 2 per hour (the validation set holds well under an hour of non-wake audio, so one
// false wake in it already counts as more than 1 per hour).
const valScores = scoresOf(model, valScenes);
for (const [k, head] of model.heads.entries()) {
  // When no threshold meets the target on validation, ship the default operating point.
  let chosen = DEFAULT_THRESHOLD;
  for (let t = 0.3; t <= 0.99; t += 0.01) {
    const trial = { ...model, heads: model.heads.map((h, j) => (j === k ? { ...h, threshold: t } : { ...h, threshold: 1 })) };
    const r = evaluate(trial, valScenes, valScores);
    if (r.falseWakesPerHour <= 2) {
      chosen = Math.round(t * 100) / 100;
      break;
    }
  }
  head.threshold = chosen;
  log(
    `threshold for ${head.keyword}: ${chosen}${valScenes.length === 0 ? " (no validation scenes: default operating point)" : chosen === DEFAULT_THRESHOLD ? " (target not met on validation: default operating point)" : ""}`,
  );
}
// The trade-off, for the record (thresholds above were chosen on validation voices only).
const evalScores = scoresOf(model, evalScenes);
for (const t of [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99]) {
  const at = { ...model, heads: model.heads.map((h) => ({ ...h, threshold: t })) };
  const v = evaluate(at, valScenes, valScores);
  const e = evaluate(at, evalScenes, evalScores);
  log(`threshold ${t}: validation ${JSON.stringify(v.detection)} ${v.falseWakesPerHour}/h | held-out ${JSON.stringify(e.detection)} ${e.falseWakesPerHour}/h`);
}
const trainReport = evaluate(model, trainScenes, scoresOf(model, trainScenes));
const valReport = evaluate(model, valScenes, valScores);
log(`validation: ${JSON.stringify(valReport)}`);
const evalReport = evaluate(model, evalScenes, evalScores);
log(`training data: ${JSON.stringify(trainReport)}`);
log(`HELD-OUT voices and sentences: ${JSON.stringify(evalReport)}`);
const humanReport = humanEvalScenes.length ? evaluate(model, humanEvalScenes, scoresOf(model, humanEvalScenes)) : null;
const corpusReport = corpusEvalScenes.length ? evaluate(model, corpusEvalScenes, scoresOf(model, corpusEvalScenes)) : null;
if (corpusReport) log(`HELD-OUT corpus speakers ${corpusSplit!.test.join(" ")}: ${JSON.stringify({ ...corpusReport, nearMissByPhrase: undefined })}`);
if (humanReport) log(`HELD-OUT human speaker ${humanTest}: ${JSON.stringify({ ...humanReport, nearMissByPhrase: undefined })}`);

const serial = {
  ...serializeWakeModel(model),
  trainedOn: {
    script: "scripts/train-wake/index.ts",
    seed,
    quick,
    ...(humanPersons > 0
      ? {
          human: {
            trainedOn: HUMAN_LICENCE[humanTrain],
            trainSpeaker: humanTrain,
            heldOutSpeaker: humanTest,
            persons: humanPersons,
            weight: Number(values["human-weight"]),
            heldOut: { ...humanReport!, nearMissByPhrase: undefined },
          },
        }
      : {}),
    ...(corpus && corpusSplit
      ? {
          corpus: {
            recordings: corpus.clips.length,
            only: !synthetic,
            ...corpusSplit,
            heldOut: corpusReport ? { ...corpusReport, nearMissByPhrase: undefined } : null,
          },
        }
      : {}),
    hyper: {
      window: WINDOW,
      hidden: Number(values.hidden),
      ...(Number(values.project) > 0 ? { project: Number(values.project) } : {}),
      epochs: Number(values.epochs),
      nearWeight: Number(values["near-weight"]),
      dropout: Number(values.dropout),
      consecutive: Number(values.consecutive),
      ensemble: Number(values.ensemble),
      scale: Number(values.scale),
      randomVoices: randomVoices.length,
      conversations: Number(values.conversations),
      substitutions,
    },
    trainVoices: trainVoices.length,
    validationVoices,
    validation: valReport,
    heldOutVoices: heldVoices,
    trainingScenes: trainScenes.length,
    heldOut: evalReport,
  },
};
writeFileSync(values.out!, JSON.stringify(serial) + "\n");
log(`wrote ${values.out} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
