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
  #mono = 0;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 10, 26, 8, 0, 0)) {
    this.#now = start;
  }
  now(): Timestamp {
    return Timestamp(this.#now);
  }
  monotonic(): number {
    return this.#mono;
  }
  after(after: Millis, fn: () => void): TimerHandle {
    // Like setTimeout: due after a delay of monotonic time, whatever the wall clock does.
    const t: Timer = { due: this.#mono + Math.max(0, after), seq: this.#seq++, fn, live: true };
    this.#timers.push(t);
    return { cancel: () => void (t.live = false) };
  }
  /** Moves time forward, firing every timer due on the way, in order. */
  advance(ms: number): void {
    const monoEnd = this.#mono + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.live && t.due <= monoEnd).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!due) break;
      const step = Math.max(0, due.due - this.#mono);
      this.#mono += step;
      this.#now += step;
      due.live = false;
      due.fn();
    }
    this.#now += monoEnd - this.#mono;
    this.#mono = monoEnd;
    this.#timers = this.#timers.filter((t) => t.live);
  }
  /** Sets the wall clock without firing timers or moving monotonic time (a clock jump). */
  set(t: number): void {
    this.#now = t;
  }
  get pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }
}
