/** McAdams voice modification: formants move where the mapping says; properties hold for any input. */
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { burg, inverseFilter, polyFromRoots, polyRoots, synthesisFilter, type Complex } from "../../../agent/privacy/lpc.ts";
import { FRAMES_PER_STEP, mcadams, mcadamsSteps, poleWarp, scalePoles, warpPoles } from "../../../agent/privacy/mcadams.ts";

const SR = 16000;
const M = suite("mcadams");

/** A vowel: a 120 Hz pulse train through an all-pole filter with the given formants. */
function vowel(formants: number[], seconds = 1, f0 = 120): Float32Array {
  const poles: Complex[] = formants.flatMap((f, i) => {
    const r = Math.exp((-Math.PI * (60 + 20 * i)) / SR);
    const th = (2 * Math.PI * f) / SR;
    return [[r * Math.cos(th), r * Math.sin(th)] as Complex, [r * Math.cos(th), -r * Math.sin(th)] as Complex];
  });
  const a = polyFromRoots(poles);
  const n = Math.round(seconds * SR);
  const pulses = new Float64Array(n);
  for (let t = 0; t < n; t += Math.round(SR / f0)) pulses[t] = 1;
  const y = synthesisFilter(a, pulses);
  const peak = y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return Float32Array.from(y, (v) => (v / peak) * 0.8);
}

/** Formant frequencies by LPC over the middle of the signal (sharp complex poles, sorted). */
function formantsOf(x: Float32Array, order = 8): number[] {
  const mid = x.subarray(Math.floor(x.length * 0.25), Math.floor(x.length * 0.75));
  const hann = Float64Array.from(mid, (v, i) => v * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (mid.length - 1))));
  const roots = polyRoots(burg(hann, order))!;
  return roots
    .filter(([re, im]) => im > 0 && Math.hypot(re, im) > 0.9)
    .map(([re, im]) => (Math.atan2(im, re) * SR) / (2 * Math.PI))
    .filter((f) => f > 150)
    .sort((a, b) => a - b);
}

const mapped = (f: number, alpha: number): number => (((2 * Math.PI * f) / SR) ** alpha * SR) / (2 * Math.PI);

M("the analysis finds the formants of the unmodified vowel (the estimator works)", () => {
  const f = formantsOf(vowel([500, 1500, 2500]));
  assert.ok(Math.abs(f[0]! - 500) / 500 < 0.05, `F1 ${f[0]}`);
  assert.ok(Math.abs(f[1]! - 1500) / 1500 < 0.05, `F2 ${f[1]}`);
});

M("α = 0.8 moves 500/1500 Hz formants to about 692/1667 Hz (within 8 %)", () => {
  assert.ok(Math.abs(mapped(500, 0.8) - 692) < 2 && Math.abs(mapped(1500, 0.8) - 1667) < 2);
  const f = formantsOf(mcadams(vowel([500, 1500, 2500]), 0.8).audio);
  assert.ok(Math.abs(f[0]! - 692) / 692 < 0.08, `F1 ${f[0]?.toFixed(0)} Hz, expected ~692`);
  assert.ok(Math.abs(f[1]! - 1667) / 1667 < 0.08, `F2 ${f[1]?.toFixed(0)} Hz, expected ~1667`);
});

M("scalePoles(1.15) moves 500/1500 Hz formants to about 575/1725 Hz with the pitch kept (speakers made for wake training)", () => {
  const x = vowel([500, 1500, 2500]);
  const y = poleWarp(x, (p) => scalePoles(p, 1.15)).audio;
  const f = formantsOf(y);
  assert.ok(Math.abs(f[0]! - 575) / 575 < 0.08, `F1 ${f[0]?.toFixed(0)} Hz, expected ~575`);
  assert.ok(Math.abs(f[1]! - 1725) / 1725 < 0.08, `F2 ${f[1]?.toFixed(0)} Hz, expected ~1725`);
  // Pitch: the 120 Hz pulse period is still the strongest autocorrelation lag.
  const lagOf = (s: Float32Array): number => {
    let best = 0;
    let bestC = -Infinity;
    for (let lag = 80; lag <= 200; lag++) {
      let c = 0;
      for (let i = 4000; i < 12000; i++) c += s[i]! * s[i + lag]!;
      if (c > bestC) ((bestC = c), (best = lag));
    }
    return best;
  };
  assert.ok(Math.abs(lagOf(y) - lagOf(x)) <= 1, `pitch period ${lagOf(y)} vs ${lagOf(x)} samples`);
});

M("scalePoles keeps magnitudes, conjugate pairs and the order of angles, and never passes Nyquist", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.05, max: 3.1, noNaN: true }),
      fc.double({ min: 0.05, max: 3.1, noNaN: true }),
      fc.double({ min: 0.7, max: 1.4, noNaN: true }),
      (a, b, k) => {
        const poles: Complex[] = [a, b].flatMap((th) => [
          [0.95 * Math.cos(th), 0.95 * Math.sin(th)] as Complex,
          [0.95 * Math.cos(th), -0.95 * Math.sin(th)] as Complex,
        ]);
        const out = scalePoles(poles, k);
        out.forEach(([re, im], i) => {
          assert.ok(Math.abs(Math.hypot(re, im) - 0.95) < 1e-9);
          assert.ok(Math.abs(Math.atan2(im, re)) < Math.PI);
          if (i % 2 === 1) assert.ok(Math.abs(im + out[i - 1]![1]) < 1e-12 && Math.abs(re - out[i - 1]![0]) < 1e-12);
        });
        const ang = (i: number): number => Math.atan2(out[i]![1], out[i]![0]);
        if (a < b) assert.ok(ang(0) <= ang(2));
        else assert.ok(ang(0) >= ang(2));
      },
    ),
    { numRuns: 500 },
  );
});

M("root finder: roots rebuild the polynomial, also with poles at radius 0.9999", () => {
  const poles: Complex[] = [0.3, 0.9, 1.7, 2.9].flatMap((th) => [
    [0.9999 * Math.cos(th), 0.9999 * Math.sin(th)] as Complex,
    [0.9999 * Math.cos(th), -0.9999 * Math.sin(th)] as Complex,
  ]);
  poles.push([0.5, 0], [-0.7, 0]);
  const a = polyFromRoots(poles);
  const back = polyFromRoots(polyRoots(a)!);
  a.forEach((c, i) => assert.ok(Math.abs(c - back[i]!) < 1e-8, `coef ${i}: ${c} vs ${back[i]}`));
});

M("LPC of digital silence is the identity filter, not NaN", () => {
  const a = burg(new Float64Array(320), 20);
  assert.equal(a[0], 1);
  assert.ok(a.every((v) => Number.isFinite(v)));
  assert.equal(
    inverseFilter(a, new Float64Array(10)).every((v) => v === 0),
    true,
  );
});

const arb = fc.record({
  seed: fc.integer({ min: 1, max: 1e9 }),
  len: fc.integer({ min: 0, max: 4000 }),
  kind: fc.constantFrom("noise", "vowel", "tone", "silence-gaps", "clipped"),
  alpha: fc.double({ min: 0.5, max: 0.95, noNaN: true }),
});

function signal(seed: number, len: number, kind: string): Float32Array {
  let s = seed >>> 0;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const v = vowel([400 + (seed % 600), 1200 + (seed % 900), 2600], Math.max(len, 1) / SR);
  return Float32Array.from({ length: len }, (_, i) => {
    if (kind === "noise") return rnd() * 0.5;
    if (kind === "vowel") return v[i]!;
    if (kind === "tone") return 0.9 * Math.sin((2 * Math.PI * 440 * i) / SR);
    if (kind === "silence-gaps") return Math.floor(i / 400) % 2 ? 0 : rnd() * 0.3;
    return Math.max(-1, Math.min(1, rnd() * 3));
  });
}

M("properties: same length, finite, no clipping beyond the input's peak, α differences show", () => {
  fc.assert(
    fc.property(arb, ({ seed, len, kind, alpha }) => {
      const x = signal(seed, len, kind);
      const y = mcadams(x, alpha).audio;
      assert.is(y.length, x.length);
      const peakIn = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (const v of y) {
        assert.ok(Number.isFinite(v));
        assert.ok(Math.abs(v) <= peakIn + 1e-6);
      }
    }),
    { numRuns: 150 },
  );
});

M("silence in → silence out", () => {
  for (const n of [0, 1, 319, 320, 16000]) assert.ok(mcadams(new Float32Array(n), 0.7).audio.every((v) => v === 0));
});

M("α = 1 returns (nearly) the input", () => {
  const x = signal(7, 16000, "vowel");
  const y = mcadams(x, 1).audio;
  let err = 0;
  let pow = 0;
  for (let i = 0; i < x.length; i++) {
    err += (x[i]! - y[i]!) ** 2;
    pow += x[i]! ** 2;
  }
  assert.ok(10 * Math.log10(pow / err) > 30, `SNR ${(10 * Math.log10(pow / err)).toFixed(1)} dB`);
});

M("different α give different outputs", () => {
  const x = signal(11, 8000, "vowel");
  const a = mcadams(x, 0.6).audio;
  const b = mcadams(x, 0.85).audio;
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i]! - b[i]!);
  assert.ok(d / a.length > 1e-3, `mean difference ${d / a.length}`);
});

M("warpPoles keeps magnitudes and conjugate symmetry, leaves real poles alone", () => {
  const out = warpPoles(
    [
      [0.9, 0],
      [0.5, 0.5],
      [0.5, -0.5],
      [-0.8, 0],
    ],
    0.7,
  );
  assert.equal(out[0], [0.9, 0]);
  assert.equal(out[3], [-0.8, 0]);
  assert.ok(Math.abs(Math.hypot(...out[1]!) - Math.hypot(0.5, 0.5)) < 1e-12);
  assert.ok(Math.abs(out[1]![1] + out[2]![1]) < 1e-12 && Math.abs(out[1]![0] - out[2]![0]) < 1e-12);
});

M("the stepwise transform yields often (a long capture cannot stall the agent) and equals the one-shot result", () => {
  const x = signal(5, 16000 * 10, "vowel");
  const it = mcadamsSteps(x, 0.75);
  let yields = 0;
  let r = it.next();
  while (!r.done) {
    yields++;
    r = it.next();
  }
  // 10 s = 1000 hops of 10 ms; a yield every FRAMES_PER_STEP frames.
  assert.ok(yields >= Math.floor(1000 / FRAMES_PER_STEP) - 1, `${yields} yields`);
  assert.equal(r.value.audio, mcadams(x, 0.75).audio);
});

M.run();
