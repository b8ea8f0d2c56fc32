/** WAV conversion for offline tools: any common PCM/float layout → 16 kHz mono s16, checked against sox. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readWavAsPipeline, resample } from "../../../agent/audio/convert.ts";
import { isAgentError } from "../../../agent/errors.ts";
import { readPcm16 } from "../../../agent/audio/wav.ts";

const C = suite("wav conversion");
const SRC = "test/fixtures/audio/wake/pos-tianmao-f5.wav";
const dir = mkdtempSync(join(tmpdir(), "spa-convert-"));
const sox = (...args: string[]): void => {
  const r = spawnSync("sox", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`sox ${args.join(" ")}: ${r.stderr}`);
};

const rmsDb = (x: ArrayLike<number>, from = 0): number => {
  let s = 0;
  for (let i = from; i < x.length; i++) s += x[i]! ** 2;
  return 10 * Math.log10(s / (x.length - from) + 1e-30);
};
/** Largest normalised cross-correlation within ±3 samples (filters may shift by a sample). */
function similarity(a: Int16Array, b: Int16Array): number {
  let best = -1;
  const n = Math.min(a.length, b.length) - 8;
  for (let lag = -3; lag <= 3; lag++) {
    let ab = 0,
      aa = 0,
      bb = 0;
    for (let i = 4; i < n; i++) {
      const x = a[i]!,
        y = b[i + lag]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    best = Math.max(best, ab / Math.sqrt(aa * bb));
  }
  return best;
}

C("resampling keeps the pass band and removes what the new rate cannot carry", () => {
  const tone = (f: number, rate: number): Float32Array => Float32Array.from({ length: rate }, (_, i) => Math.sin((2 * Math.PI * f * i) / rate));
  const kept = resample(tone(1000, 48000), 48000, 16000);
  assert.is(kept.length, 16000);
  assert.ok(Math.abs(rmsDb(kept, 8000) - rmsDb(tone(1000, 48000))) < 0.2, "1 kHz keeps its level");
  // 12 kHz would fold back to 4 kHz at 16 kHz without the low-pass.
  assert.ok(rmsDb(resample(tone(12000, 48000), 48000, 16000), 8000) - rmsDb(tone(12000, 48000)) < -50, "12 kHz is removed");
  const up = resample(tone(1000, 8000), 8000, 16000);
  assert.is(up.length, 16000);
  assert.ok(Math.abs(rmsDb(up, 8000) - rmsDb(tone(1000, 8000))) < 0.2, "upsampling keeps 1 kHz");
});

C("16 kHz mono s16 passes through unchanged; other layouts match sox's own conversion", () => {
  const same = readWavAsPipeline(readFileSync(SRC), SRC);
  assert.is(same.from, null);
  assert.equal([...same.samples], [...readPcm16(readFileSync(SRC))]);
  for (const [name, args] of [
    ["44k-stereo-s16.wav", ["-r", "44100", "-c", "2", "-b", "16"]],
    ["48k-s24-extensible.wav", ["-r", "48000", "-b", "24"]],
    ["22k-float.wav", ["-r", "22050", "-e", "floating-point", "-b", "32"]],
    ["8k-u8.wav", ["-r", "8000", "-e", "unsigned-integer", "-b", "8"]],
    ["16k-s32-3ch.wav", ["-c", "3", "-b", "32"]],
  ] as const) {
    const file = join(dir, name);
    sox(SRC, ...args, file);
    const ref = join(dir, `ref-${name}`);
    sox(file, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", ref);
    const ours = readWavAsPipeline(readFileSync(file), name);
    assert.ok(ours.from !== null, name);
    const theirs = readPcm16(readFileSync(ref));
    assert.ok(Math.abs(ours.samples.length - theirs.length) <= 2, `${name}: ${ours.samples.length} vs ${theirs.length} samples`);
    const sim = similarity(ours.samples, theirs);
    assert.ok(sim > 0.99, `${name}: similarity ${sim.toFixed(4)}`);
    assert.ok(Math.abs(rmsDb(ours.samples) - rmsDb(theirs)) < 0.5, `${name}: level`);
  }
});

C("layouts it cannot read are clear errors", () => {
  const ulaw = join(dir, "ulaw.wav");
  sox(SRC, "-e", "u-law", ulaw);
  const notWav = join(dir, "text.wav");
  writeFileSync(notWav, "hello, not audio\n");
  for (const [f, msg] of [
    [ulaw, /format 7.*readable are/],
    [notWav, /not a RIFF\/WAVE/],
  ] as const) {
    try {
      readWavAsPipeline(readFileSync(f), f);
      assert.unreachable();
    } catch (e) {
      assert.ok(isAgentError(e, "AUDIO_FORMAT"), String(e));
      assert.match((e as Error).message, msg);
    }
  }
});

C.after(() => rmSync(dir, { recursive: true, force: true }));
C.run();
