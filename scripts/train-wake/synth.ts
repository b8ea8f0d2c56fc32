/** Synthetic speech from Debian's espeak-ng, resampled by sox to the pipeline format. */
import { execFileSync, spawn } from "node:child_process";

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
  let h = 2166136261;
  for (const c of variant) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h % 4 === 0;
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
}

/** Speaks text; returns 16 kHz mono s16 samples with espeak's leading/trailing silence trimmed. */
export function synth(text: string, v: Voice): Promise<Int16Array> {
  const voice = `${v.lang === "cmn" ? "cmn-latn-pinyin" : "en-us"}+${v.variant}`;
  return new Promise((resolve, reject) => {
    const es = spawn("espeak-ng", ["-v", voice, "-s", String(v.speed), "-p", String(v.pitch), "--stdout", text]);
    const f = v.formant ?? 1;
    const effects = f === 1 ? [] : ["speed", f.toFixed(3), "tempo", (1 / f).toFixed(3)];
    const sx = spawn("sox", ["-R", "-q", "-t", "wav", "-", "-t", "raw", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-", ...effects]);
    es.stdout.pipe(sx.stdin);
    es.on("error", reject);
    sx.on("error", reject);
    const parts: Buffer[] = [];
    sx.stdout.on("data", (d: Buffer) => parts.push(d));
    sx.on("close", (code) => {
      if (code !== 0) return reject(new Error(`sox exited ${code} for ${voice}`));
      const b = Buffer.concat(parts);
      const s = new Int16Array(b.length >> 1);
      for (let i = 0; i < s.length; i++) s[i] = b.readInt16LE(i * 2);
      resolve(trim(s));
    });
  });
}

/** Cuts leading and trailing near-silence (10 ms blocks below 1 % of the peak). */
export function trim(s: Int16Array): Int16Array {
  let peak = 1;
  for (const x of s) peak = Math.max(peak, Math.abs(x));
  const block = 160;
  const loud = (b: number): boolean => {
    let m = 0;
    for (let i = b * block; i < Math.min(s.length, (b + 1) * block); i++) m = Math.max(m, Math.abs(s[i]!));
    return m > peak * 0.01;
  };
  const blocks = Math.ceil(s.length / block);
  let a = 0;
  while (a < blocks && !loud(a)) a++;
  let z = blocks - 1;
  while (z > a && !loud(z)) z--;
  return s.slice(a * block, Math.min(s.length, (z + 1) * block));
}
