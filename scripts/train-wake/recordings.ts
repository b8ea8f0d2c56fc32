/**
 * A speaker maker's own consented recordings as a corpus for training and for the bench.
 *
 * Layout (folder names are the speaker ids; any common WAV: 8–32-bit PCM or float, any rate,
 * any channel count, converted to 16 kHz mono):
 *
 *   DIR/<speaker>/天猫精灵/*.wav   the phrase alone, one take per file (silence around it is fine)
 *   DIR/<speaker>/你好天猫/*.wav
 *   DIR/<speaker>/negative/*.wav   anything else this speaker or the room said, any length
 *
 * A speaker needs at least one of the three folders. Splits are by speaker, never by file: a
 * speaker's recordings are all in training, all in validation or all in the test set, chosen by
 * a stable hash of the speaker id (so adding a speaker never moves another one).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readWavAsPipeline } from "../../agent/audio/convert.ts";
import { KEYWORDS, type Keyword } from "../../agent/ports/wake-engine.ts";
import { levelsOf, type Condition, type SceneSpec } from "./dataset.ts";
import type { Voice } from "./synth.ts";
import { trim } from "./synth.ts";

export const NEGATIVE_DIR = "negative";
export const CORPUS_PREFIX = "corpus:";

export interface CorpusClip {
  speaker: string;
  /** The keyword said, or null for a negative. */
  keyword: Keyword | null;
  file: string;
  /** sha256 of the file (16 hex digits): a changed recording is a new scene, never a stale cached one. */
  hash: string;
  seconds: number;
}

export interface Corpus {
  dir: string;
  speakers: string[];
  clips: CorpusClip[];
}

/** A corpus that cannot be used: the message names the folder or file and what to do. */
export class CorpusError extends Error {
  override name = "CorpusError";
}

/** Reads and checks a corpus folder; every WAV is decoded once here, so a bad file fails before any work. */
export function loadCorpus(dir: string): Corpus {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CorpusError(`corpus ${dir}: no such folder (expected ${dir}/<speaker>/{${KEYWORDS.join(",")},${NEGATIVE_DIR}}/*.wav)`);
  const speakers = readdirSync(dir)
    .filter((s) => !s.startsWith(".") && statSync(join(dir, s)).isDirectory())
    .sort();
  if (speakers.length === 0)
    throw new CorpusError(`corpus ${dir}: no speaker folders (expected ${dir}/<speaker>/{${KEYWORDS.join(",")},${NEGATIVE_DIR}}/*.wav)`);
  const allowed = [...KEYWORDS, NEGATIVE_DIR] as string[];
  const clips: CorpusClip[] = [];
  for (const speaker of speakers) {
    const sub = readdirSync(join(dir, speaker)).filter((s) => !s.startsWith("."));
    const unknown = sub.filter((s) => !allowed.includes(s) && statSync(join(dir, speaker, s)).isDirectory());
    if (unknown.length) throw new CorpusError(`corpus ${join(dir, speaker, unknown[0]!)}: unknown folder; a speaker's folders are ${allowed.join(", ")}`);
    const present = allowed.filter((s) => sub.includes(s));
    if (present.length === 0) throw new CorpusError(`corpus ${join(dir, speaker)}: none of the folders ${allowed.join(", ")}`);
    for (const kind of present) {
      const files = readdirSync(join(dir, speaker, kind))
        .filter((f) => !f.startsWith("."))
        .sort();
      for (const f of files) {
        const file = join(dir, speaker, kind, f);
        if (!/\.wav$/i.test(f)) throw new CorpusError(`corpus ${file}: not a .wav file (convert it: sox IN OUT.wav)`);
        const buf = readFileSync(file);
        let seconds: number;
        try {
          seconds = readWavAsPipeline(buf, file).samples.length / 16000;
        } catch (e) {
          throw new CorpusError(`corpus ${file}: unreadable: ${(e as Error).message}`);
        }
        if (seconds < 0.2) throw new CorpusError(`corpus ${file}: only ${seconds.toFixed(2)} s of audio`);
        clips.push({
          speaker,
          keyword: kind === NEGATIVE_DIR ? null : (kind as Keyword),
          file,
          hash: createHash("sha256").update(buf).digest("hex").slice(0, 16),
          seconds,
        });
      }
    }
  }
  const voiced = new Set(clips.map((c) => c.speaker));
  if (voiced.size < 2)
    throw new CorpusError(
      `corpus ${dir}: recordings of ${voiced.size === 1 ? `one speaker only (${[...voiced][0]})` : "no speaker"}; speaker-disjoint training and evaluation need at least two`,
    );
  if (!clips.some((c) => c.keyword)) throw new CorpusError(`corpus ${dir}: no keyword recordings (folders ${KEYWORDS.join(", ")})`);
  return { dir, speakers: [...voiced].sort(), clips };
}

/** 32-bit FNV-1a of a speaker id. */
function hashOf(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/**
 * Speaker-disjoint split: about a quarter of the speakers (at least one) for the test set, with
 * four or more speakers about a sixth of the rest (at least one) for validation, the others for
 * training. Speakers are ordered by a stable hash of their id.
 */
export function splitSpeakers(speakers: readonly string[]): { train: string[]; validation: string[]; test: string[] } {
  const order = [...speakers].sort((a, b) => hashOf(a) - hashOf(b) || a.localeCompare(b));
  const nTest = Math.max(1, Math.round(order.length / 4));
  const test = order.slice(0, nTest);
  const rest = order.slice(nTest);
  const nVal = rest.length >= 3 ? Math.max(1, Math.round(rest.length / 6)) : 0;
  return { train: rest.slice(nVal).sort(), validation: rest.slice(0, nVal).sort(), test: test.sort() };
}

/** The voice of a corpus clip: the scene's speech is the recording itself. */
export function clipVoice(c: CorpusClip): Voice {
  return { lang: "cmn", variant: `${CORPUS_PREFIX}${c.speaker}`, speed: 175, pitch: 50, clip: { file: c.file, hash: c.hash, trim: c.keyword !== null } };
}

/** Reads a clip as 16 kHz mono s16; a keyword take is trimmed to its speech so the keyword's end is known. */
export function readClip(clip: NonNullable<Voice["clip"]>): Int16Array {
  const buf = readFileSync(clip.file);
  if (createHash("sha256").update(buf).digest("hex").slice(0, 16) !== clip.hash) throw new CorpusError(`corpus ${clip.file}: changed while in use`);
  const s = readWavAsPipeline(buf, clip.file).samples;
  return clip.trim ? trim(s) : s;
}

/**
 * Scenes of a corpus's clips by the given speakers: every keyword take in each of `conditions`
 * (with `snrs`, every noisy condition at each SNR, as the human bench), every negative once as
 * recorded and, with `negativeNoisy`, once more in a random condition.
 */
export function corpusSpecs(
  corpus: Corpus,
  speakers: readonly string[],
  r: () => number,
  o: { conditions: Condition[]; snrs?: number[]; negativeNoisy: boolean; babble: string[] },
): SceneSpec[] {
  const out: SceneSpec[] = [];
  const s = (): number => Math.floor(r() * 2 ** 31);
  const levels = levelsOf(o.conditions, o.snrs);
  for (const c of corpus.clips) {
    if (!speakers.includes(c.speaker)) continue;
    const text = `${c.speaker}/${c.keyword ?? NEGATIVE_DIR}`;
    if (c.keyword) for (const l of levels) out.push({ kind: "positive", keyword: c.keyword, text, voice: clipVoice(c), ...l, babble: o.babble, seed: s() });
    else {
      out.push({ kind: "sentence", text, voice: clipVoice(c), condition: "clean", babble: o.babble, seed: s() });
      if (o.negativeNoisy) out.push({ kind: "sentence", text, voice: clipVoice(c), condition: "random", babble: o.babble, seed: s() });
    }
  }
  return out;
}
