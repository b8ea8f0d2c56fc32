/**
 * A small, fast, seedable uniform [0, 1) stream (mulberry32), for what must be reproducible:
 * `spa voice anonymize --seed` and the wake-word training data. Never for anything secret
 * (that is crypto-random.ts).
 */
export type Rng = () => number;

export function seededRandom(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
