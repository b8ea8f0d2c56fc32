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

/** The effective wall time at a powered-on instant (the high-water mark and where it was set). */
export interface WallAnchor {
  highWater: number;
  anchorUptime: number;
}

/**
 * One step of the effective wall time: never earlier than before, advancing at least with
 * powered-on time, following the clock's `reading` only where it is plausible (at most
 * MAX_CLOCK_LEAP_MS beyond that floor).
 */
export function advanceWall(a: WallAnchor, uptime: number, reading: number): { wall: number; trusted: boolean; anchor: WallAnchor } {
  const floor = a.highWater + Math.max(0, uptime - a.anchorUptime);
  const trusted = reading <= floor + MAX_CLOCK_LEAP_MS;
  const wall = trusted ? Math.max(floor, reading) : floor;
  return { wall, trusted, anchor: { highWater: wall, anchorUptime: uptime } };
}

/** Birth and now on the ledger's two clocks. */
export interface LedgerTime {
  wall: number;
  uptime: number;
}

/** How long until something born at `birth` expires (0: it has), by whichever clock ends it first. */
export function expiresInMs(birth: LedgerTime, now: LedgerTime, limitMs: number): number {
  return Math.max(0, Math.min(birth.wall + limitMs - now.wall, birth.uptime + limitMs - now.uptime));
}

/** The birth times at or before which a capture has expired (the purge's bounds, per clock). */
export function expiryBounds(now: LedgerTime, limitMs: number): LedgerTime {
  return { wall: now.wall - limitMs, uptime: now.uptime - limitMs };
}
