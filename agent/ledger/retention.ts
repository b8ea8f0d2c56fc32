/**
 * Retention that holds when the clock is wrong. Every capture records two birth times: the
 * effective wall time (never below the highest wall time the ledger has seen, so a clock that
 * jumps back cannot make anything younger) and the powered-on time (a counter of milliseconds
 * the agent has run, persisted, immune to wall-clock trouble: after a power cut that resets the
 * clock to 1970 it still counts on). A capture expires when either age reaches the limit:
 * min(policy retention, 180 days), the cap being a constant here, not configuration.
 *
 * The effective wall time is anchored: the last trusted reading plus the powered-on time since
 * (a lower bound of the true time, so it also advances while the clock is stuck in the past). A
 * reading more than MAX_CLOCK_LEAP_MS beyond that bound is not trusted (issue 14.4): one boot
 * with a clock decades ahead must not date captures in 2100, prune the privacy history, or
 * leave a high-water mark that later, correct readings can never reach.
 */
import type { Clock } from "../ports/clock.ts";
import type { Db } from "./agent-db.ts";

export const RETENTION_CAP_DAYS = 180;
export const DAY_MS = 86_400_000;

export function retentionLimitMs(policyDays: number): number {
  const days = Math.min(RETENTION_CAP_DAYS, Math.max(0, policyDays));
  return days * DAY_MS;
}

/**
 * How far a wall-clock reading may run ahead of the last trusted reading plus the powered-on time
 * since, and still be trusted: the longest time a speaker may plausibly sit unplugged.
 */
export const MAX_CLOCK_LEAP_MS = 400 * DAY_MS;

/** The ledger's notion of now: effective wall time and powered-on time, persisted. */
export class LedgerClock {
  /** The effective wall time at powered-on time #anchorUptime (the high-water mark). */
  #highWater: number;
  #anchorUptime: number;
  #uptimeBase: number;
  #monoBase: number;
  /** False while the wall clock reads implausibly far ahead (reported, never followed). */
  clockTrusted = true;

  readonly db: Db;
  readonly clock: Clock;
  readonly onWrite: (error: unknown | null) => void;
  constructor(
    db: Db,
    clock: Clock,
    /** Told when a write fails (full disk, lock): the counters hold in memory and are written next time. */
    onWrite: (error: unknown | null) => void = () => undefined,
  ) {
    this.db = db;
    this.clock = clock;
    this.onWrite = onWrite;
    const row = db.prepare("SELECT wall_high_water AS w, uptime_ms AS u FROM ledger_clock WHERE id = 1").get() as { w: number; u: number } | undefined;
    this.#uptimeBase = row?.u ?? 0;
    this.#monoBase = clock.monotonic();
    // First start: the clock is all there is. Later: the stored anchor, then the reading if plausible.
    this.#highWater = row?.w ?? clock.now();
    this.#anchorUptime = this.#uptimeBase;
    this.persist();
  }

  /**
   * Effective wall time: never earlier than before (also across restarts), advancing at least
   * with powered-on time, and following the clock only where the clock is plausible.
   */
  wall(): number {
    const up = this.uptime();
    const floor = this.#highWater + Math.max(0, up - this.#anchorUptime);
    const reading = this.clock.now();
    this.clockTrusted = reading <= floor + MAX_CLOCK_LEAP_MS;
    this.#highWater = this.clockTrusted ? Math.max(floor, reading) : floor;
    this.#anchorUptime = up;
    return this.#highWater;
  }

  /** Milliseconds of powered-on time, over the ledger's whole life. */
  uptime(): number {
    return this.#uptimeBase + Math.max(0, this.clock.monotonic() - this.#monoBase);
  }

  /**
   * Writes both counters (on a schedule, at every capture and purge, and at shutdown). Never
   * throws: a failed write is reported to onWrite and the counters go on in memory.
   */
  persist(): boolean {
    try {
      this.#write();
      this.onWrite(null);
      return true;
    } catch (e) {
      this.onWrite(e);
      return false;
    }
  }

  #write(): void {
    this.db
      // MAX: another process (a spa command while the agent runs) may have written a larger value.
      .prepare(
        "INSERT INTO ledger_clock (id, wall_high_water, uptime_ms) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET wall_high_water = MAX(wall_high_water, excluded.wall_high_water), uptime_ms = MAX(uptime_ms, excluded.uptime_ms)",
      )
      .run(this.wall(), Math.round(this.uptime()));
  }

  /** Birth times for something that began `agoMs` before now. */
  birth(agoMs = 0): { wall: number; uptime: number } {
    return { wall: this.wall() - agoMs, uptime: Math.max(0, Math.round(this.uptime() - agoMs)) };
  }
}

/** Milliseconds until the next capture expires (0 if one already has), or null with none kept. */
export function nextExpiryInMs(db: Db, now: { wall: number; uptime: number }, limitMs: number): number | null {
  const r = db.prepare("SELECT MIN(captured_wall) AS w, MIN(captured_uptime) AS u FROM captures").get() as { w: number | null; u: number | null };
  if (r.w === null || r.u === null) return null;
  return Math.max(0, Math.min(r.w + limitMs - now.wall, r.u + limitMs - now.uptime));
}
