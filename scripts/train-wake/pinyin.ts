/**
 * Chinese text → toned pinyin syllables → the zhuyin (bopomofo) names under which gcin-voice
 * files its recordings (`<zhuyin><tone>`: no digit for tone 1, 2–4 for those tones, 1 for the
 * neutral tone). Third-tone sandhi is applied the way Mandarin speakers say it: a third tone
 * before another third tone becomes a second tone (你好 is said ní hǎo); 一 and 不 change tone by
 * pinyin-pro's own rules.
 */
import { pinyin } from "pinyin-pro";

/** A syllable: pinyin without tone (ü written "v") and its tone, 1–4, or 5 for the neutral tone. */
export interface Syllable {
  base: string;
  tone: 1 | 2 | 3 | 4 | 5;
}

/** Toned syllables of the Chinese characters of a text; other characters are skipped. Punctuation ends a phrase: null. */
export function syllablesOf(text: string): Array<Syllable | null> {
  const out: Array<Syllable | null> = [];
  for (const chunk of text.split(/([，。！？、,.!?\s]+)/)) {
    if (!chunk) continue;
    if (/^[，。！？、,.!?\s]+$/.test(chunk)) {
      if (out.length && out[out.length - 1] !== null) out.push(null);
      continue;
    }
    const hanzi = [...chunk].filter((c) => /\p{Script=Han}/u.test(c)).join("");
    if (!hanzi) continue;
    const words = pinyin(hanzi, { toneType: "num", type: "array", v: true }) as string[];
    const phrase: Syllable[] = [];
    for (const w of words) {
      const m = /^([a-zv]+)([0-5])?$/.exec(w.toLowerCase());
      if (!m) continue;
      const t = Number(m[2] ?? 5);
      phrase.push({ base: m[1]!, tone: (t === 0 ? 5 : t) as Syllable["tone"] });
    }
    out.push(...sandhi(phrase));
  }
  return out;
}

/** 3-3 → 2-3, right to left within a phrase as in 你好 / 我也很好 (a simple, common reading). */
export function sandhi(phrase: Syllable[]): Syllable[] {
  const out = phrase.map((s) => ({ ...s }));
  for (let i = out.length - 2; i >= 0; i--) if (out[i]!.tone === 3 && phrase[i + 1]!.tone === 3) out[i]!.tone = 2;
  return out;
}

const INITIALS: ReadonlyArray<[string, string]> = [
  ["zh", "ㄓ"],
  ["ch", "ㄔ"],
  ["sh", "ㄕ"],
  ["b", "ㄅ"],
  ["p", "ㄆ"],
  ["m", "ㄇ"],
  ["f", "ㄈ"],
  ["d", "ㄉ"],
  ["t", "ㄊ"],
  ["n", "ㄋ"],
  ["l", "ㄌ"],
  ["g", "ㄍ"],
  ["k", "ㄎ"],
  ["h", "ㄏ"],
  ["j", "ㄐ"],
  ["q", "ㄑ"],
  ["x", "ㄒ"],
  ["r", "ㄖ"],
  ["z", "ㄗ"],
  ["c", "ㄘ"],
  ["s", "ㄙ"],
];

const FINALS: Readonly<Record<string, string>> = {
  a: "ㄚ",
  o: "ㄛ",
  e: "ㄜ",
  ai: "ㄞ",
  ei: "ㄟ",
  ao: "ㄠ",
  ou: "ㄡ",
  an: "ㄢ",
  en: "ㄣ",
  ang: "ㄤ",
  eng: "ㄥ",
  er: "ㄦ",
  i: "ㄧ",
  ia: "ㄧㄚ",
  ie: "ㄧㄝ",
  iao: "ㄧㄠ",
  iu: "ㄧㄡ",
  ian: "ㄧㄢ",
  in: "ㄧㄣ",
  iang: "ㄧㄤ",
  ing: "ㄧㄥ",
  iong: "ㄩㄥ",
  u: "ㄨ",
  ua: "ㄨㄚ",
  uo: "ㄨㄛ",
  uai: "ㄨㄞ",
  ui: "ㄨㄟ",
  uan: "ㄨㄢ",
  un: "ㄨㄣ",
  uang: "ㄨㄤ",
  ong: "ㄨㄥ",
  ueng: "ㄨㄥ",
  v: "ㄩ",
  ve: "ㄩㄝ",
  van: "ㄩㄢ",
  vn: "ㄩㄣ",
  ue: "ㄩㄝ",
};

/** y-/w- spellings of syllables without an initial. */
const ZERO_INITIAL: Readonly<Record<string, string>> = {
  yi: "i",
  ya: "ia",
  ye: "ie",
  yao: "iao",
  you: "iu",
  yan: "ian",
  yin: "in",
  yang: "iang",
  ying: "ing",
  yong: "iong",
  yo: "io",
  wu: "u",
  wa: "ua",
  wo: "uo",
  wai: "uai",
  wei: "ui",
  wan: "uan",
  wen: "un",
  wang: "uang",
  weng: "ueng",
  yu: "v",
  yue: "ve",
  yuan: "van",
  yun: "vn",
};

/** Zhuyin of a toneless pinyin syllable, or null if it is not a Mandarin syllable. */
export function zhuyinOf(base: string): string | null {
  if (base === "yo") return "ㄧㄛ";
  if (base === "ê" || base === "eh") return "ㄝ";
  if (base in ZERO_INITIAL) return FINALS[ZERO_INITIAL[base]!] ?? null;
  if (base in FINALS) return FINALS[base]!;
  const ini = INITIALS.find(([p]) => base.startsWith(p));
  if (!ini) return null;
  let fin = base.slice(ini[0].length);
  // zhi chi shi ri zi ci si: the initial alone.
  if (fin === "i" && /^(zh|ch|sh|r|z|c|s)$/.test(ini[0])) return ini[1];
  // After j, q, x the written u is ü.
  if (/^[jqx]$/.test(ini[0]) && fin.startsWith("u")) fin = "v" + fin.slice(1);
  const f = FINALS[fin];
  return f ? ini[1] + f : null;
}

/** gcin-voice's folder name for a syllable. */
export function gcinName(s: Syllable): string | null {
  const z = zhuyinOf(s.base);
  if (!z) return null;
  return z + (s.tone === 1 ? "" : s.tone === 5 ? "1" : String(s.tone));
}
