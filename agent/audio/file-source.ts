/**
 * A WAV file as an audio source: paced in real time (the demo) or as fast as the consumer takes
 * it (tests, offline tools). Only 16 kHz mono s16 files are accepted. The position survives
 * close/open, so a demo that is muted and unmuted carries on where it was.
 */
import { readFile } from "node:fs/promises";
import { AgentError, toError } from "../errors.ts";
import type { AudioSource } from "../ports/audio-source.ts";
import { FRAME_MS, FRAME_SAMPLES } from "../units.ts";
import { readPcm16 } from "./wav.ts";

export interface FileSourceOptions {
  path: string;
  pacing: "realtime" | "unpaced";
  loop: boolean;
}

export class FileSource implements AudioSource {
  readonly kind = "file" as const;
  readonly pid = undefined;
  #samples: Int16Array | null = null;
  #pos = 0;
  #running = false;
  #timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #frameFn: (f: Int16Array) => void = () => undefined;
  #errorFn: (e: Error) => void = () => undefined;
  #endFn: () => void = () => undefined;

  readonly options: FileSourceOptions;
  constructor(options: FileSourceOptions) {
    this.options = options;
  }

  get isOpen(): boolean {
    return this.#running;
  }
  onFrame(fn: (frame: Int16Array) => void): void {
    this.#frameFn = fn;
  }
  onError(fn: (err: Error) => void): void {
    this.#errorFn = fn;
  }
  /** Called when a non-looping file has been delivered completely. */
  onEnd(fn: () => void): void {
    this.#endFn = fn;
  }

  /** Reads and checks the file without starting playback (fails early on a bad file). */
  async load(): Promise<void> {
    if (this.#samples) return;
    let buf: Buffer;
    try {
      buf = await readFile(this.options.path);
    } catch (e) {
      throw new AgentError("AUDIO_FILE", `cannot read audio file ${this.options.path}: ${toError(e).message}`, { cause: e });
    }
    const samples = readPcm16(buf, this.options.path);
    if (samples.length < FRAME_SAMPLES) throw new AgentError("AUDIO_FILE", `${this.options.path} is shorter than one 32 ms frame`);
    this.#samples = samples;
  }

  async open(): Promise<void> {
    await this.load();
    if (this.#running) return;
    this.#running = true;
    if (this.options.pacing === "realtime") this.#paced();
    else this.#unpaced();
  }

  async close(): Promise<void> {
    this.#running = false;
    if (this.#timer) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = null;
    }
  }

  /** Emits one frame; false when a non-looping file is done. */
  #emit(): boolean {
    const s = this.#samples!;
    if (this.#pos + FRAME_SAMPLES > s.length) {
      if (!this.options.loop) {
        this.#running = false;
        this.#endFn();
        return false;
      }
      this.#pos = 0;
    }
    const frame = s.slice(this.#pos, this.#pos + FRAME_SAMPLES);
    this.#pos += FRAME_SAMPLES;
    try {
      this.#frameFn(frame);
    } catch (e) {
      this.#errorFn(toError(e));
    }
    return true;
  }

  #paced(): void {
    const start = performance.now();
    let sent = 0;
    const tick = (): void => {
      if (!this.#running) return;
      const due = Math.floor((performance.now() - start) / FRAME_MS) + 1;
      while (sent < due && this.#running) {
        if (!this.#emit()) return;
        sent++;
      }
      this.#timer = setTimeout(tick, Math.max(1, start + sent * FRAME_MS - performance.now()));
    };
    tick();
  }

  #unpaced(): void {
    const batch = (): void => {
      for (let i = 0; i < 64 && this.#running; i++) if (!this.#emit()) return;
      if (this.#running) this.#timer = setImmediate(batch);
    };
    this.#timer = setImmediate(batch);
  }
}
