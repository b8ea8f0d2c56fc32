/**
 * Linear prediction and polynomial roots for the voice modification: Burg's method, the FIR
 * inverse filter and the all-pole synthesis filter, and a root finder for the LPC polynomial
 * that stays finite for digital silence and for poles close to the unit circle.
 * Pure functions over Float64Array; coefficients are a[0] = 1, a[1..p] as in
 * A(z) = 1 + a1 z^-1 + … + ap z^-p.
 */

/**
 * Burg's method: the order-p predictor that minimises forward plus backward prediction error.
 * The reflection coefficients stay inside (-1, 1), so A(z) is minimum phase. A frame with no
 * energy (or that runs out of it early) yields a predictor padded with zeros, never NaN.
 */
export function burg(x: ArrayLike<number>, order: number): Float64Array {
  const n = x.length;
  const a = new Float64Array(order + 1);
  a[0] = 1;
  if (n <= order) return a;
  // f: forward errors (x[1..]), b: backward errors (x[..n-2]); both shrink by one per stage
  // and are updated in place (the live length is `len`).
  const f = new Float64Array(n - 1);
  const b = new Float64Array(n - 1);
  let den = 0;
  for (let i = 0; i < n - 1; i++) {
    f[i] = x[i + 1]!;
    b[i] = x[i]!;
    den += f[i]! * f[i]! + b[i]! * b[i]!;
  }
  let len = n - 1;
  const prev = new Float64Array(order + 1);
  for (let m = 0; m < order && len > 0; m++) {
    if (!(den > 1e-20)) break;
    let num = 0;
    for (let i = 0; i < len; i++) num += b[i]! * f[i]!;
    let k = (-2 * num) / den;
    // Rounding can push |k| to 1 on pure tones; keep the filter strictly stable.
    if (k > 0.999999) k = 0.999999;
    if (k < -0.999999) k = -0.999999;
    prev.set(a);
    for (let j = 1; j <= m + 1; j++) a[j] = prev[j]! + k * prev[m + 1 - j]!;
    const lastB = b[len - 1]! + k * f[len - 1]!;
    const firstF = f[0]! + k * b[0]!;
    for (let i = 0; i < len - 1; i++) {
      const fi = f[i]!;
      f[i] = f[i + 1]! + k * b[i + 1]!;
      b[i] = b[i]! + k * fi;
    }
    len--;
    den = (1 - k * k) * den - lastB * lastB - firstF * firstF;
  }
  return a;
}

/** e = A(z) x: the prediction residual, zero initial state. */
export function inverseFilter(a: Float64Array, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(x.length);
  for (let t = 0; t < x.length; t++) {
    let s = 0;
    for (let k = 0; k < a.length && k <= t; k++) s += a[k]! * x[t - k]!;
    y[t] = s;
  }
  return y;
}

/** y = x / A(z): all-pole synthesis, zero initial state. */
export function synthesisFilter(a: Float64Array, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(x.length);
  for (let t = 0; t < x.length; t++) {
    let s = x[t]!;
    for (let k = 1; k < a.length && k <= t; k++) s -= a[k]! * y[t - k]!;
    y[t] = s;
  }
  return y;
}

/** A complex number as [re, im]. */
export type Complex = [number, number];

/**
 * Roots of z^p + a1 z^(p-1) + … + ap (the poles of 1/A(z)) by the Aberth–Ehrlich method, which
 * finds all roots at once and converges cubically, including clusters near the unit circle.
 * Returns null if it did not converge (the caller must then not trust the frame).
 */
export function polyRoots(a: Float64Array, maxIter = 200, start?: readonly Complex[]): Complex[] | null {
  // Trailing zero coefficients are roots at 0; drop them so the polynomial has a nonzero constant.
  let p = a.length - 1;
  while (p > 0 && a[p] === 0) p--;
  const zeros: Complex[] = Array.from({ length: a.length - 1 - p }, () => [0, 0]);
  if (p === 0) return zeros;
  // Start on a circle of the Cauchy-bound-ish radius, angles offset to break symmetry.
  let radius = 0;
  for (let k = 1; k <= p; k++) radius = Math.max(radius, Math.abs(a[k]!) ** (1 / k));
  radius = Math.min(Math.max(radius, 0.5), 2);
  const re = new Float64Array(p);
  const im = new Float64Array(p);
  const warm = start !== undefined && start.length === p;
  for (let i = 0; i < p; i++) {
    // A warm start (the previous frame's roots, nudged apart) converges in a few iterations.
    const th = (2 * Math.PI * i) / p + 0.4;
    re[i] = warm ? start[i]![0] + 1e-6 * Math.cos(th) : radius * Math.cos(th);
    im[i] = warm ? start[i]![1] + 1e-6 * Math.sin(th) : radius * Math.sin(th);
  }
  for (let iter = 0; iter < maxIter; iter++) {
    let moved = 0;
    for (let i = 0; i < p; i++) {
      // Horner for P(z) and P'(z).
      let pr = 1,
        pi = 0,
        dr = 0,
        di = 0;
      const zr = re[i]!,
        zi = im[i]!;
      for (let k = 1; k <= p; k++) {
        const ndr = dr * zr - di * zi + pr;
        const ndi = dr * zi + di * zr + pi;
        dr = ndr;
        di = ndi;
        const npr = pr * zr - pi * zi + a[k]!;
        const npi = pr * zi + pi * zr;
        pr = npr;
        pi = npi;
      }
      // ratio = P/P'
      const dd = dr * dr + di * di;
      if (dd === 0 && pr === 0 && pi === 0) continue;
      let rr: number, ri: number;
      if (dd === 0) {
        rr = 1e-3;
        ri = 1e-3;
      } else {
        rr = (pr * dr + pi * di) / dd;
        ri = (pi * dr - pr * di) / dd;
      }
      // Sum over other roots of 1/(z_i - z_j).
      let sr = 0,
        si = 0;
      for (let j = 0; j < p; j++) {
        if (j === i) continue;
        const xr = zr - re[j]!,
          xi = zi - im[j]!;
        const xx = xr * xr + xi * xi || 1e-300;
        sr += xr / xx;
        si -= xi / xx;
      }
      // w = ratio / (1 - ratio * sum)
      const denr = 1 - (rr * sr - ri * si);
      const deni = -(rr * si + ri * sr);
      const d2 = denr * denr + deni * deni || 1e-300;
      const wr = (rr * denr + ri * deni) / d2;
      const wi = (ri * denr - rr * deni) / d2;
      re[i] = zr - wr;
      im[i] = zi - wi;
      moved = Math.max(moved, Math.hypot(wr, wi) / Math.max(1, Math.hypot(re[i]!, im[i]!)));
    }
    if (!Number.isFinite(moved)) return null;
    if (moved < 1e-13) break;
    if (iter === maxIter - 1 && moved > 1e-8) return null;
  }
  const roots: Complex[] = [];
  for (let i = 0; i < p; i++) roots.push([re[i]!, im[i]!]);
  return [...roots, ...zeros];
}

/**
 * The real polynomial with these roots (monic, highest power first: [1, c1, …, cp]). Conjugate
 * pairs are multiplied as real quadratics, so the result has no imaginary residue.
 */
export function polyFromRoots(roots: Complex[]): Float64Array {
  let c = new Float64Array([1]);
  const mul = (q: number[]): void => {
    const out = new Float64Array(c.length + q.length - 1);
    for (let i = 0; i < c.length; i++) for (let j = 0; j < q.length; j++) out[i + j] = out[i + j]! + c[i]! * q[j]!;
    c = out;
  };
  const used = new Array<boolean>(roots.length).fill(false);
  for (let i = 0; i < roots.length; i++) {
    if (used[i]) continue;
    used[i] = true;
    const [r, m] = roots[i]!;
    if (Math.abs(m) < 1e-12) {
      mul([1, -r]);
      continue;
    }
    // Find its conjugate partner (the closest root to (r, -m)).
    let best = -1;
    let bd = Infinity;
    for (let j = i + 1; j < roots.length; j++) {
      if (used[j]) continue;
      const d = Math.hypot(roots[j]![0] - r, roots[j]![1] + m);
      if (d < bd) {
        bd = d;
        best = j;
      }
    }
    if (best >= 0) used[best] = true;
    mul([1, -2 * r, r * r + m * m]);
  }
  return c;
}
