/**
 * A guardian's hours for a speaker (REQUIREMENTS CHD, minor guardian mode): windows of
 * device-local time in which voice service is open; outside them the gate is closed like a mute
 * (mutedBy "guardian"), captures nothing, and an unmute is refused politely (GUARDIAN_HOURS).
 * No windows: no restriction. Pure: the local time comes in; the agent re-evaluates every minute
 * and whenever the wall clock moves, so a clock set forward or back takes effect at once.
 */
/** One window: the days it starts on (0 = Sunday … 6 = Saturday) and local HH:MM from/to (to < from: past midnight). */
export interface GuardianWindow {
  days: number[];
  from: string;
  to: string;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Local day of week (0 = Sunday) and minute of the day. */
export interface LocalTime {
  day: number;
  minute: number;
}

export function localTimeOf(ms: number): LocalTime {
  const d = new Date(ms);
  return { day: d.getDay(), minute: d.getHours() * 60 + d.getMinutes() };
}

/** Whether voice service is open at this local time. */
export function isOpen(windows: readonly GuardianWindow[], t: LocalTime): boolean {
  if (windows.length === 0) return true;
  return windows.some((w) => {
    const from = minutesOf(w.from);
    const to = minutesOf(w.to);
    if (from < to) return w.days.includes(t.day) && t.minute >= from && t.minute < to;
    // Past midnight: the evening of a listed day, or the early morning after one.
    return (w.days.includes(t.day) && t.minute >= from) || (w.days.includes((t.day + 6) % 7) && t.minute < to);
  });
}

/** "07:00-20:00" (optionally "07:00-20:00@1-5" for Monday to Friday) → a window. */
/** "07:00-20:00" (optionally "07:00-20:00@1-5" for Monday to Friday) → a window. Zod-free: the CLI parses with it before loading anything. */
export function parseWindow(text: string): GuardianWindow {
  const m = /^(\d\d:\d\d)-(\d\d:\d\d)(?:@(\d)(?:-(\d))?)?$/.exec(text.trim());
  if (!m || !HHMM.test(m[1]!) || !HHMM.test(m[2]!))
    throw new Error(`cannot read '${text}': use HH:MM-HH:MM (00:00 to 23:59), optionally @D or @D-D (0 = Sunday … 6 = Saturday)`);
  if (m[1] === m[2]) throw new Error(`'${text}': from and to must differ`);
  const first = m[3] === undefined ? 0 : Number(m[3]);
  const last = m[3] === undefined ? 6 : Number(m[4] ?? m[3]);
  if (first > 6 || last > 6 || first > last) throw new Error(`days in '${text}' must run from 0 to 6, low to high`);
  return { days: Array.from({ length: last - first + 1 }, (_, i) => first + i), from: m[1]!, to: m[2]! };
}

/**
 * Keeps a gate told whether the guardian's hours are open: checks at once, then at every minute
 * boundary of the wall clock (so a window's edge, or a clock set forward or back, takes effect
 * within the minute), and whenever asked (a guardian changed the hours).
 */
export class GuardianSchedule {
  #timer: { cancel(): void } | null = null;
  #closed: boolean | null = null;
  readonly o: {
    clock: { now(): number; after(ms: number, fn: () => void): { cancel(): void } };
    windows: () => readonly GuardianWindow[];
    /** Told each time open/closed changes (and once at start). */
    changed: (closed: boolean) => void;
    /** Also run at every tick (other minute-grained checks ride along). */
    tick?: () => void;
  };
  constructor(o: GuardianSchedule["o"]) {
    this.o = o;
  }

  closedNow(): boolean {
    return !isOpen(this.o.windows(), localTimeOf(this.o.clock.now()));
  }

  check(): void {
    const closed = this.closedNow();
    if (closed !== this.#closed) {
      this.#closed = closed;
      this.o.changed(closed);
    }
  }

  start(): void {
    const tick = (): void => {
      this.check();
      this.o.tick?.();
      this.#timer = this.o.clock.after(60_000 - (this.o.clock.now() % 60_000) + 5, tick);
    };
    tick();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }
}
