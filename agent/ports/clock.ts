import type { Millis, Timestamp } from "../units.ts";

export interface TimerHandle {
  cancel(): void;
}

/** Time and timers. Domain code never calls Date.now() or setTimeout directly. */
export interface Clock {
  /** Wall-clock now. May jump (NTP, a user, a dead RTC after a power cut). */
  now(): Timestamp;
  /** Milliseconds since an arbitrary origin; never jumps, advances only while running. */
  monotonic(): number;
  /** Calls fn once at or after `after` from now. */
  after(after: Millis, fn: () => void): TimerHandle;
}
