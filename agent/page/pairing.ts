/**
 * Pairing a phone with the speaker (issue 19.2): a one-time 6-digit code the speaker announces,
 * valid 2 minutes and burnt after 5 wrong tries. Guessing is bounded across every client: after
 * 10 wrong tries pairing is locked for a minute, and each further lock (without a pairing in
 * between) lasts twice as long, up to an hour — so a device on the LAN that keeps guessing gets
 * a few hundred tries a day against codes that change every 2 minutes, while the household hears
 * the speaker announcing codes nobody asked for. Whoever holds the speaker itself (its bridge:
 * the firmware, `spa page pair`) can always start afresh: such a code lifts the lock. At most 5
 * codes a minute are made. A try when no code is waiting cannot succeed and is not counted.
 * Pure: time and randomness come in; nothing here knows about HTTP or the bridge.
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
  /** Wrong tries (across every client) that lock pairing. */
  failuresPerLock?: number;
  /** The first lock; each next one doubles, up to maxLockMs. */
  lockMs?: number;
  maxLockMs?: number;
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
  #failures = 0;
  #locks = 0;
  #lockedUntil = 0;
  #issued: number[] = [];

  constructor(o: PairingOptions) {
    this.#o = {
      codeTtlMs: CODE_TTL_MS,
      triesPerCode: 5,
      failuresPerLock: 10,
      lockMs: 60_000,
      maxLockMs: 3_600_000,
      codesPerWindow: 5,
      windowMs: 60_000,
      ...o,
    };
  }

  /**
   * A new code (replacing any earlier one), or how long until one may be made. `fromDevice`: asked
   * for on the speaker itself (the bridge), which also lifts a guessing lock.
   */
  issue(fromDevice = false): Issue {
    const now = this.#o.now();
    this.#issued = this.#issued.filter((t) => now - t < this.#o.windowMs);
    if (this.#issued.length >= this.#o.codesPerWindow)
      return { ok: false, reason: "RATE_LIMITED", retryAfterMs: Math.max(1, this.#issued[0]! + this.#o.windowMs - now) };
    if (fromDevice) this.#unlock();
    this.#issued.push(now);
    const code = String(this.#o.randomInt(1_000_000)).padStart(6, "0");
    this.#code = { code, expiresAt: now + this.#o.codeTtlMs, wrong: 0 };
    return { ok: true, code, validMs: this.#o.codeTtlMs };
  }

  /** A try: the right code in time pairs once (the code is then spent, and the lock history cleared). */
  attempt(input: string): Attempt {
    const now = this.#o.now();
    if (now < this.#lockedUntil) return { ok: false, reason: "RATE_LIMITED", retryAfterMs: this.#lockedUntil - now };
    const c = this.#code;
    if (!c || now >= c.expiresAt) {
      this.#code = null;
      return { ok: false, reason: "NO_CODE" };
    }
    const given = Buffer.from(input.padEnd(6, " ").slice(0, 6));
    if (/^\d{6}$/.test(input) && timingSafeEqual(given, Buffer.from(c.code))) {
      this.#code = null;
      this.#unlock();
      return { ok: true };
    }
    if (++c.wrong >= this.#o.triesPerCode) this.#code = null;
    if (++this.#failures >= this.#o.failuresPerLock) {
      this.#failures = 0;
      this.#lockedUntil = now + Math.min(this.#o.maxLockMs, this.#o.lockMs * 2 ** this.#locks++);
    }
    return { ok: false, reason: "WRONG_CODE" };
  }

  /** Whether a code is waiting to be entered (and for how long). */
  pending(): { validMs: number } | null {
    const c = this.#code;
    const left = c ? c.expiresAt - this.#o.now() : 0;
    return left > 0 ? { validMs: left } : null;
  }

  #unlock(): void {
    this.#failures = 0;
    this.#locks = 0;
    this.#lockedUntil = 0;
  }
}
