/** An audio source the test feeds by hand: push(frame) delivers a frame if the source is open. */
import type { AudioSource } from "../../agent/ports/audio-source.ts";

export class MemoryAudioSource implements AudioSource {
  readonly kind = "memory" as const;
  readonly pid = undefined;
  #open = false;
  opens = 0;
  closes = 0;
  /** When set, the next open() fails with this error. */
  failNextOpen: Error | null = null;
  /** When set, close() stays pending (the source still delivering) until releaseClose(). */
  slowClose = false;
  #release: (() => void) | null = null;
  #frameFn: (f: Int16Array) => void = () => undefined;
  #errorFn: (e: Error) => void = () => undefined;

  get isOpen(): boolean {
    return this.#open;
  }
  onFrame(fn: (frame: Int16Array) => void): void {
    this.#frameFn = fn;
  }
  onError(fn: (err: Error) => void): void {
    this.#errorFn = fn;
  }
  async open(): Promise<void> {
    if (this.failNextOpen) {
      const e = this.failNextOpen;
      this.failNextOpen = null;
      throw e;
    }
    if (!this.#open) this.opens++;
    this.#open = true;
  }
  async close(): Promise<void> {
    if (this.slowClose) await new Promise<void>((r) => (this.#release = r));
    if (this.#open) this.closes++;
    this.#open = false;
  }
  /** Lets a slow close() finish. */
  releaseClose(): void {
    this.#release?.();
    this.#release = null;
  }
  /** Delivers a frame as a real source would; returns false if the source is closed. */
  push(frame: Int16Array): boolean {
    if (!this.#open) return false;
    this.#frameFn(frame);
    return true;
  }
  fail(err: Error): void {
    this.#open = false;
    this.#errorFn(err);
  }
}
