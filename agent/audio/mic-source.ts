/**
 * The microphone, through node-record-lpcm16 (raw 16 kHz mono s16 from arecord or sox).
 *
 * node-record-lpcm16 quirks this wraps (see DESIGN.md "Audio"):
 * - a missing recorder binary makes the child emit 'error' (ENOENT), which is an uncaught
 *   exception unless someone listens: we listen and turn it into RECORDER_NOT_FOUND;
 * - its stream emits 'error' whenever the recorder exits non-zero, including after our SIGTERM:
 *   we listen and judge the exit ourselves;
 * - pause() is SIGSTOP and leaves the device open, and stop() after pause() leaves the child
 *   alive: we never call either. Closing = SIGTERM, await exit, SIGKILL after a bound, then
 *   confirm the pid is gone.
 */
import type { ChildProcess } from "node:child_process";
import recordPkg from "node-record-lpcm16";
import { AgentError } from "../errors.ts";
import type { AudioSource } from "../ports/audio-source.ts";
import { SAMPLE_RATE_HZ } from "../units.ts";
import { FrameChunker } from "./frames.ts";

export interface MicOptions {
  recorder: "arecord" | "sox" | "rec";
  /** ALSA device (arecord -D) or AUDIODEV for sox; null = the system default. */
  device: string | null;
  /** How long to wait after SIGTERM before SIGKILL. */
  closeTimeoutMs: number;
}

const INSTALL_HINT: Record<MicOptions["recorder"], string> = {
  arecord: "install alsa-utils (apt-get install alsa-utils) or set audio.recorder",
  sox: "install sox (apt-get install sox) or set audio.recorder",
  rec: "install sox (apt-get install sox) or set audio.recorder",
};

export class MicSource implements AudioSource {
  readonly kind = "mic" as const;
  #child: ChildProcess | null = null;
  /** Set while a close is killing the recorder (late data and exits are ignored then). */
  #closing: Promise<void> | null = null;
  readonly #chunker = new FrameChunker();
  #frameFn: (f: Int16Array) => void = () => undefined;
  #errorFn: (e: Error) => void = () => undefined;
  #stderrTail = "";

  readonly options: MicOptions;
  constructor(options: MicOptions) {
    this.options = options;
  }

  get isOpen(): boolean {
    return this.#child !== null;
  }
  get pid(): number | undefined {
    return this.#child?.pid;
  }
  onFrame(fn: (frame: Int16Array) => void): void {
    this.#frameFn = fn;
  }
  onError(fn: (err: Error) => void): void {
    this.#errorFn = fn;
  }

  /** open() and close() run one at a time, in call order, whoever calls them. */
  #ops: Promise<unknown> = Promise.resolve();
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#ops.then(fn, fn);
    this.#ops = p.catch(() => undefined);
    return p;
  }

  open(): Promise<void> {
    return this.#serial(() => this.#open());
  }

  async #open(): Promise<void> {
    if (this.#child) return;
    const { recorder, device } = this.options;
    const rec = recordPkg.record({
      sampleRate: SAMPLE_RATE_HZ,
      channels: 1,
      recorder,
      audioType: "raw",
      ...(device ? { device } : {}),
    });
    const child = rec.process;
    const stream = rec.stream();
    // node-record-lpcm16 re-emits non-zero exits as stream errors; the exit handler below judges them.
    stream.on("error", () => undefined);
    this.#stderrTail = "";
    child.stderr?.on("data", (d: Buffer) => {
      this.#stderrTail = (this.#stderrTail + d.toString("utf8")).slice(-400);
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") {
          reject(new AgentError("RECORDER_NOT_FOUND", `recorder '${recorder}' not found on PATH: ${INSTALL_HINT[recorder]}`, { cause: e }));
        } else {
          reject(new AgentError("MIC_UNAVAILABLE", `cannot start recorder '${recorder}': ${e.message}`, { cause: e }));
        }
      });
    });
    this.#child = child;
    this.#chunker.reset();
    stream.on("data", (chunk: Buffer) => {
      if (this.#child !== child || this.#closing) return;
      for (const frame of this.#chunker.push(chunk)) this.#frameFn(frame);
      chunk.fill(0);
    });
    child.once("exit", (code, signal) => {
      if (this.#child !== child || this.#closing) return;
      this.#child = null;
      this.#chunker.reset();
      const detail = this.#stderrTail.trim().split("\n").pop() ?? "";
      this.#errorFn(
        new AgentError("RECORDER_EXITED", `recorder '${recorder}' exited (${signal ?? `code ${code}`})${detail ? `: ${detail}` : ""}`, {
          context: { device: this.options.device },
        }),
      );
    });
  }

  /** Resolves once the recorder process is gone. Idempotent. */
  close(): Promise<void> {
    return this.#serial(() => this.#close());
  }

  async #close(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#closing = this.#kill(child);
    try {
      await this.#closing;
      this.#child = null;
    } finally {
      // On failure #child stays set: the process is still tracked and a later close() retries.
      this.#closing = null;
      this.#chunker.reset();
    }
  }

  async #kill(child: ChildProcess): Promise<void> {
    const pid = child.pid;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    child.stdout?.pause();
    child.kill("SIGTERM");
    const inTime = await Promise.race([exited.then(() => true), delay(this.options.closeTimeoutMs).then(() => false)]);
    if (!inTime) {
      child.kill("SIGKILL");
      const killed = await Promise.race([exited.then(() => true), delay(2000).then(() => false)]);
      if (!killed) throw new AgentError("RECORDER_WONT_DIE", `recorder pid ${pid} survived SIGKILL`);
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
    if (pid !== undefined && pidAlive(pid)) {
      throw new AgentError("RECORDER_WONT_DIE", `recorder pid ${pid} is still present after exit`);
    }
  }
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True if a process with this pid exists (signal 0 probes without sending). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
