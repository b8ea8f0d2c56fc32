/**
 * The ledger's clock on disk: the effective wall time and the powered-on counter (the rule is
 * retention.ts's advanceWall), persisted in agent.db's ledger_clock row.
 */
import type { Clock } from "../ports/clock.ts";
import type { Db } from "./agent-db.ts";
import { advanceWall, type WallAnchor } from "./retention.ts";

/** The ledger's notion of now: effective wall time and powered-on time, persisted. */
export class LedgerClock {
  /** The effective wall time and the powered-on time it was last set at. */
  #anchor: WallAnchor;
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
    this.#anchor = { highWater: row?.w ?? clock.now(), anchorUptime: this.#uptimeBase };
    this.persist();
  }

  /**
   * Effective wall time: never earlier than before (also across restarts), advancing at least
   * with powered-on time, and following the clock only where the clock is plausible.
   */
  wall(): number {
    const step = advanceWall(this.#anchor, this.uptime(), this.clock.now());
    this.clockTrusted = step.trusted;
    this.#anchor = step.anchor;
    return step.wall;
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
