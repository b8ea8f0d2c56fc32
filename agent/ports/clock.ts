import type { Millis, Timestamp } from "../units.ts";

export interface TimerHandle {
  cancel(): void;
}

/** Time and timers. Domain code never calls Date.now() or setTimeout directly. */
export interface Clock {
  /** Wall-clock now. */
  now(): Timestamp;
  /** Calls fn once at or after `after` from now. */
  after(after: Millis, fn: () => void): TimerHandle;
}
