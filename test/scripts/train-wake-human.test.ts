/**
 * Human speech for wake training: pinyin and zhuyin as gcin-voice files them, tone sandhi,
 * WSOLA timing with the pitch kept, and phrases joined from the recorded syllables of Debian's
 * gcin-voice (installed by .ci/run) at human durations, deterministic per take.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { gcinDir, humanSpeak, humanVoicesMissing, randomTake, wsola } from "../../scripts/train-wake/human.ts";
import { gcinName, sandhi, syllablesOf, zhuyinOf } from "../../scripts/train-wake/pinyin.ts";
import { rng } from "../../scripts/train-wake/augment.ts";

const H = suite("wake training: human speech");

H("pinyin becomes the zhuyin gcin-voice names its folders by (initials, finals, y/w spellings, ü after j/q/x, bare zhi/chi/shi)", () => {
  const cases: Record<string, string> = {
    tian: "ㄊㄧㄢ",
    mao: "ㄇㄠ",
    jing: "ㄐㄧㄥ",
    ling: "ㄌㄧㄥ",
    ni: "ㄋㄧ",
    hao: "ㄏㄠ",
    zhi: "ㄓ",
    shi: "ㄕ",
    si: "ㄙ",
    ri: "ㄖ",
    yi: "ㄧ",
    wu: "ㄨ",
    yu: "ㄩ",
    yue: "ㄩㄝ",
    yuan: "ㄩㄢ",
    ju: "ㄐㄩ",
    xue: "ㄒㄩㄝ",
    qun: "ㄑㄩㄣ",
    lv: "ㄌㄩ",
    nve: "ㄋㄩㄝ",
    xiong: "ㄒㄩㄥ",
    zhuang: "ㄓㄨㄤ",
    gui: "ㄍㄨㄟ",
    dun: "ㄉㄨㄣ",
    liu: "ㄌㄧㄡ",
    er: "ㄦ",
    weng: "ㄨㄥ",
    you: "ㄧㄡ",
    chong: "ㄔㄨㄥ",
  };
  for (const [p, z] of Object.entries(cases)) assert.is(zhuyinOf(p), z, p);
  assert.is(zhuyinOf("xyz"), null);
  assert.is(gcinName({ base: "tian", tone: 1 }), "ㄊㄧㄢ");
  assert.is(gcinName({ base: "ling", tone: 2 }), "ㄌㄧㄥ2");
  assert.is(gcinName({ base: "ma", tone: 5 }), "ㄇㄚ1", "the neutral tone is gcin's 1");
});

H("texts become toned syllables with third-tone sandhi (你好 = ní hǎo) and phrase breaks at punctuation", () => {
  const s = syllablesOf("你好天猫。天猫精灵");
  assert.equal(
    s.map((x) => (x ? `${x.base}${x.tone}` : "|")),
    ["ni2", "hao3", "tian1", "mao1", "|", "tian1", "mao1", "jing1", "ling2"],
  );
  assert.equal(
    sandhi([
      { base: "wo", tone: 3 },
      { base: "hen", tone: 3 },
      { base: "hao", tone: 3 },
    ]).map((x) => x.tone),
    [2, 2, 3],
  );
  assert.equal(syllablesOf("ok 天猫!").filter(Boolean).length, 2, "non-Chinese characters are skipped");
});

H("WSOLA: the requested length, and a tone's pitch kept while its duration halves", () => {
  const sr = 16000;
  const x = Float32Array.from({ length: sr }, (_, i) => Math.sin((2 * Math.PI * 220 * i) / sr) * 0.5);
  const y = wsola(x, sr / 2);
  assert.is(y.length, sr / 2);
  let crossings = 0;
  for (let i = 1000; i < y.length - 1000; i++) if (y[i - 1]! < 0 && y[i]! >= 0) crossings++;
  const hz = crossings / ((y.length - 2000) / sr);
  assert.ok(Math.abs(hz - 220) < 6, `pitch ${hz.toFixed(1)} Hz after compression, expected 220`);
});

const haveVoices = humanVoicesMissing() === null;

H("without gcin-voice the training script is told what to install", () => {
  const saved = process.env.SPA_GCIN_VOICE_DIR;
  process.env.SPA_GCIN_VOICE_DIR = "/nonexistent";
  try {
    assert.match(humanVoicesMissing() ?? "", /apt-get install gcin-voice/);
  } finally {
    if (saved === undefined) delete process.env.SPA_GCIN_VOICE_DIR;
    else process.env.SPA_GCIN_VOICE_DIR = saved;
  }
});

H("gcin-voice has both speakers' recordings of every syllable of both keywords (CI installs it)", () => {
  assert.ok(haveVoices, humanVoicesMissing() ?? "");
  for (const name of ["ㄊㄧㄢ", "ㄇㄠ", "ㄐㄧㄥ", "ㄌㄧㄥ2", "ㄋㄧ2", "ㄏㄠ3"])
    for (const sp of ["3", "5"]) assert.ok(existsSync(join(gcinDir(), name, `${sp}.ogg`)), `${name}/${sp}.ogg`);
});

H("a keyword said by a made-up person lasts 0.8–1.5 s at a wake-phrase rate, is the same for the same take, and differs between people", async () => {
  const r = rng(11);
  const durations: number[] = [];
  for (let i = 0; i < 6; i++) {
    const take = randomTake(r, i % 2 ? "3" : "5");
    const a = await humanSpeak("天猫精灵", take);
    durations.push(a.length / 16000);
    if (i === 0) {
      const again = await humanSpeak("天猫精灵", take);
      assert.equal(Buffer.from(again.buffer).equals(Buffer.from(a.buffer)), true, "deterministic per take");
      const other = await humanSpeak("天猫精灵", take, 1);
      assert.not.ok(Buffer.from(other.buffer).equals(Buffer.from(a.buffer)), "another salt, other prosody");
    }
    let peak = 0;
    for (const v of a) peak = Math.max(peak, Math.abs(v));
    assert.ok(peak > 16000 && peak < 32768, `level ${peak}`);
  }
  for (const d of durations) assert.ok(d >= 0.7 && d <= 1.7, `phrase of ${d.toFixed(2)} s`);
});

H("a sentence pauses at its punctuation: two sentences last longer than their syllables at the same rate", async () => {
  const take = { speaker: "5" as const, pitch: 1, tract: 1, rate: 4 };
  const one = await humanSpeak("今天天气真不错我有点累了", take);
  const two = await humanSpeak("今天天气真不错。我有点累了", take);
  assert.ok(two.length > one.length + 0.12 * 16000, `${one.length} vs ${two.length} samples`);
});

H.run();
