import type { Clock, TimerHandle } from "../ports/clock.ts";
import { Timestamp, type Millis } from "../units.ts";

/** The real clock. setTimeout caps at 2^31-1 ms (~24.8 days); longer waits are chained. */
export class SystemClock implements Clock {
  now(): Timestamp {
    return Timestamp(Date.now());
  }
  monotonic(): number {
    return performance.now();
  }
  after(after: Millis, fn: () => void): TimerHandle {
    const MAX = 2 ** 31 - 1;
    const due = Date.now() + after;
    let t: NodeJS.Timeout;
    const arm = (): void => {
      const left = due - Date.now();
      t = setTimeout(left > MAX ? arm : fn, Math.max(0, Math.min(left, MAX)));
    };
    arm();
    return { cancel: () => clearTimeout(t) };
  }
}
