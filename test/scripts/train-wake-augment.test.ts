/** scripts/train-wake augmentation: the random recording channel and noise at a given SNR. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { channel, mixAtSnr, rng, whiteNoise } from "../../scripts/train-wake/augment.ts";

const T = suite("wake training augmentation");

const sine = (f: number, n = 16000): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * f * i) / 16000));
/** RMS over the second half (past the filters' transients). */
const rms = (x: Float32Array): number => {
  let s = 0;
  for (let i = x.length / 2; i < x.length; i++) s += x[i]! ** 2;
  return Math.sqrt(s / (x.length / 2));
};
const db = (a: number, b: number): number => 20 * Math.log10(a / b);

T("a channel keeps the voice band, removes rumble, and is the same for the same seed", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const mid = sine(1000);
    const low = sine(40);
    const gMid = db(rms(channel(mid, rng(seed))), rms(mid));
    const gLow = db(rms(channel(low, rng(seed))), rms(low));
    assert.ok(Math.abs(gMid) < 10, `seed ${seed}: 1 kHz changed by ${gMid.toFixed(1)} dB`);
    assert.ok(gLow < -6, `seed ${seed}: 40 Hz only ${gLow.toFixed(1)} dB`);
    assert.ok(gLow < gMid - 6);
  }
  const x = whiteNoise(4000, rng(3));
  assert.equal([...channel(x, rng(9))], [...channel(x, rng(9))]);
  assert.not.equal([...channel(x, rng(9))], [...channel(x, rng(10))]);
  assert.equal([...x], [...whiteNoise(4000, rng(3))], "the input is not modified");
});

T("noise is mixed at the requested signal-to-noise ratio", () => {
  const s = sine(440, 32000);
  const n = whiteNoise(32000, rng(4));
  for (const snr of [5, 12, 20]) {
    const mixed = mixAtSnr(s, n, snr);
    const noise = mixed.map((v, i) => v - s[i]!);
    assert.ok(Math.abs(db(rms(s), rms(noise)) - snr) < 0.3, `${snr} dB`);
  }
});

T.run();
