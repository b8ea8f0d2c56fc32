/**
 * Pairing a phone with the speaker (issue 19.2): a one-time 6-digit code the speaker announces,
 * valid 2 minutes, burnt after a few wrong tries, with a cap on wrong tries and on new codes per
 * minute across every client (so guessing 10^6 codes is hopeless: at most 10 guesses a minute
 * against a code that changes every 2). Pure: time and randomness come in; nothing here knows
 * about HTTP or the bridge.
 */
import { timingSafeEqual } from "node:crypto";

export interface PairingOptions {
  /** A clock that never jumps (the agent's monotonic clock): a wall clock set back must not lift a limit. */
  now(): number;
  /** A uniform integer in [0, n) from a CSPRNG. */
  randomInt(n: number): number;
  codeTtlMs?: number;
  /** Wrong tries against one code before it is burnt. */
  triesPerCode?: number;
  /** Wrong tries per window across every client; beyond, every try is refused until the window passes. */
  failuresPerWindow?: number;
  /** New codes per window (each is announced aloud by the speaker). */
  codesPerWindow?: number;
  windowMs?: number;
}

export type Issue = { ok: true; code: string; validMs: number } | { ok: false; reason: "RATE_LIMITED"; retryAfterMs: number };
export type Attempt = { ok: true } | { ok: false; reason: "WRONG_CODE" | "NO_CODE" | "RATE_LIMITED"; retryAfterMs?: number };

export const CODE_TTL_MS = 120_000;

export class Pairing {
  readonly #o: Required<PairingOptions>;
  #code: { code: string; expiresAt: number; wrong: number } | null = null;
  #failures: number[] = [];
  #issued: number[] = [];

  constructor(o: PairingOptions) {
    this.#o = { codeTtlMs: CODE_TTL_MS, triesPerCode: 5, failuresPerWindow: 10, codesPerWindow: 5, windowMs: 60_000, ...o };
  }

  /** A new code (replacing any earlier one), or how long until one may be made. */
  issue(): Issue {
    const now = this.#o.now();
    this.#issued = this.#recent(this.#issued, now);
    if (this.#issued.length >= this.#o.codesPerWindow) return { ok: false, reason: "RATE_LIMITED", retryAfterMs: this.#retryAfter(this.#issued, now) };
    this.#issued.push(now);
    const code = String(this.#o.randomInt(1_000_000)).padStart(6, "0");
    this.#code = { code, expiresAt: now + this.#o.codeTtlMs, wrong: 0 };
    return { ok: true, code, validMs: this.#o.codeTtlMs };
  }

  /** A try: the right code in time pairs once (the code is then spent). */
  attempt(input: string): Attempt {
    const now = this.#o.now();
    this.#failures = this.#recent(this.#failures, now);
    if (this.#failures.length >= this.#o.failuresPerWindow) return { ok: false, reason: "RATE_LIMITED", retryAfterMs: this.#retryAfter(this.#failures, now) };
    const c = this.#code;
    if (!c || now >= c.expiresAt) {
      this.#code = null;
      this.#failures.push(now);
      return { ok: false, reason: "NO_CODE" };
    }
    const given = Buffer.from(input.padEnd(6, " ").slice(0, 6));
    if (/^\d{6}$/.test(input) && timingSafeEqual(given, Buffer.from(c.code))) {
      this.#code = null;
      return { ok: true };
    }
    this.#failures.push(now);
    if (++c.wrong >= this.#o.triesPerCode) this.#code = null;
    return { ok: false, reason: "WRONG_CODE" };
  }

  /** Whether a code is waiting to be entered (and until when). */
  pending(): { validMs: number } | null {
    const c = this.#code;
    const left = c ? c.expiresAt - this.#o.now() : 0;
    return left > 0 ? { validMs: left } : null;
  }

  #recent(list: number[], now: number): number[] {
    return list.filter((t) => now - t < this.#o.windowMs);
  }
  #retryAfter(list: number[], now: number): number {
    return Math.max(1, list[0]! + this.#o.windowMs - now);
  }
}
