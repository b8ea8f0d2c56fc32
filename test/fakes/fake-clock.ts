/** Virtual time: timers fire only when the test advances the clock. */
import type { Clock, TimerHandle } from "../../agent/ports/clock.ts";
import { Timestamp, type Millis } from "../../agent/units.ts";

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 10, 26, 8, 0, 0)) {
    this.#now = start;
  }
  now(): Timestamp {
    return Timestamp(this.#now);
  }
  after(after: Millis, fn: () => void): TimerHandle {
    const t: Timer = { due: this.#now + Math.max(0, after), seq: this.#seq++, fn, live: true };
    this.#timers.push(t);
    return { cancel: () => void (t.live = false) };
  }
  /** Moves time forward, firing every timer due on the way, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.live && t.due <= end).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!due) break;
      this.#now = Math.max(this.#now, due.due);
      due.live = false;
      due.fn();
    }
    this.#now = end;
    this.#timers = this.#timers.filter((t) => t.live);
  }
  /** Sets the wall clock without firing timers (a clock jump). */
  set(t: number): void {
    this.#now = t;
  }
  get pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }
}
