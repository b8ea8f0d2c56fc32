/** Synthetic speech from Debian's espeak-ng, resampled by sox to the pipeline format. */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom } from "../../agent/adapters/seeded-random.ts";
import type { HumanTake } from "./human.ts";

/** espeak-ng's voice variants (file names, e.g. "m3", "f2", "klatt4"). */
export function listVariants(): string[] {
  const out = execFileSync("espeak-ng", ["--voices=variant"], { encoding: "utf8" });
  return out
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[4] ?? "")
    .filter((f) => f.startsWith("!v/"))
    .map((f) => f.slice(3))
    .sort();
}

/** Voices held out of training, chosen by a stable hash of the name (about one in four). */
export function isHeldOut(variant: string): boolean {
  return fnv1a(variant) % 4 === 0;
}

/** 32-bit FNV-1a of a name: a stable number for choices made by name. */
function fnv1a(name: string): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** Where the system's espeak-ng keeps its data (from `espeak-ng --version`), looked up once. */
let systemData: string | null = null;
export function espeakDataDir(): string {
  if (!systemData) {
    systemData = /Data at:\s*(\S+)/.exec(execFileSync("espeak-ng", ["--version"], { encoding: "utf8" }))?.[1] ?? null;
    if (!systemData) throw new Error("cannot find espeak-ng's data directory");
  }
  return systemData;
}

/**
 * Made-up speakers: espeak-ng voice variants whose vocal tract (formant frequencies, strengths
 * and bandwidths), pitch, roughness, flutter and voicing are drawn from a seed. espeak-ng ships a
 * hundred variants; the held-out ones include extreme timbres (e.g. boris, Demonic, travis), and
 * a detector trained on the rest alone generalises poorly to them. Training on hundreds of random
 * vocal tracts is the synthetic stand-in for many speakers. Named "rand-N"; the same N is always
 * the same voice.
 */
export const RANDOM_VOICE_PREFIX = "rand-";

export function randomVariant(name: string): string {
  const r = seededRandom(fnv1a(name));
  const u = (a: number, b: number): number => Math.round(a + (b - a) * r());
  const female = r() < 0.5;
  const lines = ["language variant", `name ${name}`, `gender ${female ? "female" : "male"}`];
  const base = female ? u(140, 230) : u(60, 130);
  lines.push(`pitch ${base} ${base + u(30, 90)}`);
  // One vocal-tract size for the speaker, with a little independent movement per formant.
  const tract = female ? 1.0 + r() * 0.3 : 0.75 + r() * 0.35;
  lines.push(`formant 0 ${u(80, 120)} ${u(60, 140)} ${u(70, 150)}`);
  for (let k = 1; k <= 8; k++) lines.push(`formant ${k} ${Math.round(tract * 100 * (0.88 + r() * 0.24))} ${u(55, 150)} ${u(70, 160)}`);
  if (r() < 0.5) lines.push(`flutter ${u(0, 10)}`);
  if (r() < 0.4) lines.push(`roughness ${u(0, 5)}`);
  lines.push(`voicing ${u(70, 180)}`, `consonants ${u(80, 140)} ${u(80, 180)}`);
  return lines.join("\n") + "\n";
}

/**
 * Private espeak-ng data directories, one per made-up speaker: the system's data linked entry by
 * entry, and a voices/!v holding only that speaker's variant (espeak-ng lists every voice file
 * at start and stops at 349, so hundreds of variants cannot share one directory). espeak-ng
 * reads it through --path; the system's own files stay untouched. Removed at exit.
 */
const scratch = join(tmpdir(), `spa-espeak-${process.pid}`);
let exitHookSet = false;
function espeakPathFor(variant: string): string[] {
  if (!variant.startsWith(RANDOM_VOICE_PREFIX)) return [];
  const root = join(scratch, variant);
  const data = join(root, "espeak-ng-data");
  const file = join(data, "voices", "!v", variant);
  if (!existsSync(file)) {
    if (!exitHookSet) process.once("exit", () => rmSync(scratch, { recursive: true, force: true }));
    exitHookSet = true;
    const system = espeakDataDir();
    mkdirSync(join(data, "voices", "!v"), { recursive: true });
    // (Links may exist already: a killed run with the same pid leaves its directory behind.)
    // Scene workers share this directory (one per process): another thread may link an entry first.
    for (const e of readdirSync(system))
      if (e !== "voices" && !existsSync(join(data, e)))
        try {
          symlinkSync(join(system, e), join(data, e));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        }
    writeFileSync(file, randomVariant(variant));
  }
  return [`--path=${root}`];
}

/** Removes the made-up speakers' data directories (the pool calls it once its workers have stopped). */
export function removeEspeakScratch(): void {
  rmSync(scratch, { recursive: true, force: true });
}

export interface Voice {
  lang: "cmn" | "en";
  variant: string;
  speed: number;
  pitch: number;
  /**
   * Vocal-tract scale: sox "speed F tempo 1/F" moves formants and pitch by F at the same
   * duration, a cheap stand-in for speakers of another size (1 = as espeak-ng speaks).
   */
  formant?: number;
  /** A human take (scripts/train-wake/human.ts): the text is joined from recorded syllables, not synthesised. */
  human?: HumanTake;
  /** A recording from a vendor's corpus (recordings.ts): the scene's speech is this file, trimmed to its speech when `trim`. */
  clip?: { file: string; hash: string; trim: boolean };
}

/**
 * Speaks text; returns 16 kHz mono s16 samples with espeak's leading/trailing silence trimmed.
 * A failure names both programs' exit and messages.
 */
export function synth(text: string, v: Voice): Promise<Int16Array> {
  const voice = `${v.lang === "cmn" ? "cmn-latn-pinyin" : "en-us"}+${v.variant}`;
  return new Promise((resolve, reject) => {
    const es = spawn("espeak-ng", [...espeakPathFor(v.variant), "-v", voice, "-s", String(v.speed), "-p", String(v.pitch), "--stdout", text]);
    const f = v.formant ?? 1;
    const effects = f === 1 ? [] : ["speed", f.toFixed(3), "tempo", (1 / f).toFixed(3)];
    const sx = spawn("sox", ["-R", "-q", "-t", "wav", "-", "-t", "raw", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-", ...effects]);
    es.stdout.pipe(sx.stdin);
    es.on("error", reject);
    sx.on("error", reject);
    let esExit: number | string | null = null;
    es.on("exit", (code, signal) => (esExit = code ?? signal));
    const errs: string[] = [];
    es.stderr.on("data", (d: Buffer) => errs.push(`espeak-ng: ${d.toString().trim()}`));
    sx.stderr.on("data", (d: Buffer) => errs.push(`sox: ${d.toString().trim()}`));
    const parts: Buffer[] = [];
    sx.stdout.on("data", (d: Buffer) => parts.push(d));
    sx.on("close", (code) => {
      if (code !== 0) return reject(new Error(`sox exited ${code} for ${voice} -s ${v.speed} -p ${v.pitch} (espeak-ng exit ${esExit}) ${errs.join("; ")}`));
      const b = Buffer.concat(parts);
      const s = new Int16Array(b.length >> 1);
      for (let i = 0; i < s.length; i++) s[i] = b.readInt16LE(i * 2);
      resolve(trim(s));
    });
  });
}

/** Cuts leading and trailing near-silence (10 ms blocks below 1 % of the peak). */
export function trim(s: Int16Array): Int16Array {
  const [a, z] = speechBounds(s, 0.01);
  return s.slice(a, z);
}

/**
 * Where the sound starts and ends: the first and past-the-last sample of the 10 ms blocks whose
 * peak reaches `fraction` of the clip's peak.
 */
export function speechBounds(s: ArrayLike<number>, fraction: number): [number, number] {
  let peak = 1e-9;
  for (let i = 0; i < s.length; i++) peak = Math.max(peak, Math.abs(s[i]!));
  const block = 160;
  const loud = (b: number): boolean => {
    let m = 0;
    for (let i = b * block; i < Math.min(s.length, (b + 1) * block); i++) m = Math.max(m, Math.abs(s[i]!));
    return m > peak * fraction;
  };
  const blocks = Math.ceil(s.length / block);
  let a = 0;
  while (a < blocks && !loud(a)) a++;
  let z = blocks - 1;
  while (z > a && !loud(z)) z--;
  return [a * block, Math.min(s.length, (z + 1) * block)];
}
