/**
 * Audio lives outside V8's heap: every 20 ms frame, every session's samples and voice
 * modification's work arrays are typed arrays whose bytes are malloc'd, behind wrapper objects of
 * a few dozen bytes. V8 starts a major collection when its heap grows, which those wrappers
 * barely do, so frames that lived long enough to be promoted (the pre-roll, a session) stay
 * resident long after they died: on the demo, memory held by ArrayBuffers swung between 3 and
 * 11 MB and the resident set climbed from 87 to 91–93 MB in five minutes (docs/device.md, Memory).
 *
 * This collector asks V8 for a major collection once the agent is up (start-up's garbage), then
 * looks at the bytes held by ArrayBuffers every `everyMs` and, when they have grown by
 * `growthBytes` over the lowest seen since the last collection, asks again. V8 runs it as a task
 * on the main thread soon after: a full, non-incremental mark-compact of the ~17 MB heap, 17–28 ms
 * on this machine, about once a minute on the demo. Audio waits in the recorder's pipe meanwhile
 * (nothing is lost; a frame is handled that much later). It needs Node's --expose-gc, which
 * `npm start` and the systemd unit pass; without it there is nothing to ask, and it does nothing.
 * (V8's own memory reducer does this for a process that goes idle; the agent never does, it
 * handles a frame every 20 ms.)
 */
import type { Clock, TimerHandle } from "../ports/clock.ts";
import { Millis } from "../units.ts";

export interface OffHeapCollectorDeps {
  clock: Clock;
  /** Bytes held by ArrayBuffers now (process.memoryUsage().arrayBuffers). */
  arrayBufferBytes: () => number;
  /** Starts a major collection, or null when the runtime offers none. */
  collect: (() => void) | null;
  everyMs?: number;
  growthBytes?: number;
}

export const OFF_HEAP_CHECK_MS = 5_000;
export const OFF_HEAP_GROWTH_BYTES = 4 * 1024 * 1024;

/** V8's collector as --expose-gc exposes it (a background major collection), or null without the flag. */
export function v8MajorCollection(): (() => void) | null {
  const gc = (globalThis as { gc?: (options?: { type: "major"; execution: "async" }) => unknown }).gc;
  return typeof gc === "function" ? () => void gc({ type: "major", execution: "async" }) : null;
}

export class OffHeapCollector {
  readonly #deps: OffHeapCollectorDeps;
  readonly #everyMs: number;
  readonly #growth: number;
  #timer: TimerHandle | null = null;
  #low = Infinity;
  #collections = 0;

  constructor(deps: OffHeapCollectorDeps) {
    this.#deps = deps;
    this.#everyMs = deps.everyMs ?? OFF_HEAP_CHECK_MS;
    this.#growth = deps.growthBytes ?? OFF_HEAP_GROWTH_BYTES;
  }

  /** Whether there is a collector to ask (Node ran with --expose-gc). */
  get available(): boolean {
    return this.#deps.collect !== null;
  }

  /** Collections asked for so far. */
  get collections(): number {
    return this.#collections;
  }

  /** Collects once (what starting up left behind), then checks every `everyMs`. */
  start(): void {
    if (!this.#deps.collect || this.#timer) return;
    this.#collect();
    this.#schedule();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }

  #schedule(): void {
    this.#timer = this.#deps.clock.after(Millis(this.#everyMs), () => {
      try {
        this.#check();
      } catch {
        // A reading that failed (process.memoryUsage() reads /proc) skips this check, nothing more.
      }
      if (this.#timer) this.#schedule();
    });
  }

  #check(): void {
    const now = this.#deps.arrayBufferBytes();
    // The lowest level since the last collection is what is alive; growth over it is mostly dead audio.
    if (now < this.#low) this.#low = now;
    if (now - this.#low >= this.#growth) this.#collect();
  }

  #collect(): void {
    this.#collections++;
    this.#deps.collect!();
    // Measured afresh from the next check on: the collection frees in the background.
    this.#low = Infinity;
  }
}
