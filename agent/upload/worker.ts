/**
 * Drains the persistent upload queue: sends what is due, one at a time, and on failure
 * reschedules with exponential backoff and ±50 % jitter (so a fleet that lost its endpoint does
 * not come back in lockstep). The queue lives in the ledger, so it survives restarts; an entry
 * leaves it only after the receiver accepted it. Audio is decrypted just for the send and
 * zero-filled afterwards.
 */
import { encodeWav } from "../audio/wav.ts";
import { toError } from "../errors.ts";
import type { CaptureStore } from "../ledger/captures.ts";
import type { Logger } from "../log.ts";
import type { Clock, TimerHandle } from "../ports/clock.ts";
import type { Uploader } from "../ports/uploader.ts";
import { Millis } from "../units.ts";
import { UploadEnvelopeSchema } from "./envelope.ts";

export interface UploadWorkerOptions {
  store: CaptureStore;
  uploader: Uploader;
  clock: Clock;
  log: Logger;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Uniform [0, 1) for the jitter. */
  random: () => number;
  /**
   * Checked for every upload at send time, not only when it was queued: a policy or household
   * choice made since may forbid it (dropped) or withdraw training use (sent as not allowed).
   */
  permit?: () => { uploads: boolean; trainingAllowed: boolean };
  /** Privacy events (counts and outcomes only, never ids). */
  audit?: (type: "upload" | "upstream-deletion", data: Record<string, unknown>) => void;
}

export interface UploadCounters {
  sent: number;
  failedAttempts: number;
  deletions: number;
}

export function backoffMs(attempts: number, baseMs: number, maxMs: number, u: number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(attempts, 30));
  return Math.round(raw * (0.5 + u));
}

export class UploadWorker {
  readonly counters: UploadCounters = { sent: 0, failedAttempts: 0, deletions: 0 };
  #timer: TimerHandle | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = true;
  /** The last drain hit an error: wait a little before the next one, never spin. */
  #pause = false;

  constructor(readonly o: UploadWorkerOptions) {}

  start(): void {
    this.#stopped = false;
    this.kick();
  }

  /** Something became due (a new capture, `spa uploads retry`): look at the queue now. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#timer?.cancel();
    this.#timer = null;
    this.#running = this.#drain()
      .catch(() => undefined)
      .finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.kick();
      } else this.#schedule();
    });
  }

  /** Resolves when nothing is being sent (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
    await this.idle();
  }

  #schedule(): void {
    if (this.#stopped) return;
    let next: number | null;
    try {
      next = this.o.store.nextDue();
    } catch {
      next = this.o.clock.now();
      this.#pause = true;
    }
    if (next === null) return;
    const wait = Math.max(this.#pause ? 1000 : 0, next - this.o.clock.now());
    this.#pause = false;
    this.#timer = this.o.clock.after(Millis(wait), () => {
      this.#timer = null;
      this.kick();
    });
  }

  async #drain(): Promise<void> {
    const { log } = this.o;
    for (;;) {
      if (this.#stopped) return;
      try {
        if (!(await this.#step())) return;
      } catch (e) {
        // A database error (busy, full) must not take the agent down; try again later.
        log.error("upload queue step failed; retrying later", { error: toError(e).message });
        this.#pause = true;
        return;
      }
    }
  }

  /** One deletion request or one upload; false when nothing is due. */
  async #step(): Promise<boolean> {
    const { store, uploader, clock, log } = this.o;
    // Deletion requests first: what the household deleted goes before anything new.
    const del = store.dueDeletion(clock.now());
    if (del) {
      try {
        await uploader.requestDeletion(del.uploadId);
        store.deletionDone(del.uploadId);
        this.counters.deletions++;
        this.o.audit?.("upstream-deletion", { outcome: "done" });
        log.info("upstream copy deleted", { via: uploader.name });
      } catch (e) {
        const delay = backoffMs(del.attempts, this.o.retryBaseMs, this.o.retryMaxMs, this.o.random());
        store.deletionFailed(del.uploadId, clock.now() + delay, toError(e).message.slice(0, 200));
        log.warn("upstream deletion failed; will retry", { via: uploader.name, retryInMs: delay, error: toError(e).message });
      }
      return true;
    }
    const [item] = store.due(clock.now(), 1);
    if (!item) return false;
    let audio: Int16Array | null = null;
    let wav: Buffer | null = null;
    try {
      let envelope = UploadEnvelopeSchema.parse(JSON.parse(item.envelope));
      const permit = this.o.permit?.();
      if (permit && !permit.uploads) {
        store.dropUpload(item.captureId);
        log.info("queued upload dropped: uploads are no longer allowed");
        return true;
      }
      if (permit && !permit.trainingAllowed && envelope.trainingAllowed) envelope = { ...envelope, trainingAllowed: false };
      // A capture whose audio cannot be decrypted (damaged storage) throws here, like a failed send.
      audio = store.audio(item.captureId);
      if (!audio) throw new Error("the capture has no stored audio");
      wav = encodeWav(audio);
      await uploader.send(envelope, wav);
      store.sent(item.captureId, envelope.uploadId, clock.now());
      this.counters.sent++;
      this.o.audit?.("upload", { outcome: "sent", attempts: item.attempts + 1, trainingAllowed: envelope.trainingAllowed });
      log.info("upload delivered", { via: uploader.name, attempts: item.attempts + 1 });
    } catch (e) {
      this.counters.failedAttempts++;
      const delay = backoffMs(item.attempts, this.o.retryBaseMs, this.o.retryMaxMs, this.o.random());
      const reason = toError(e).message.slice(0, 200);
      store.failed(item.captureId, clock.now() + delay, reason, (JSON.parse(item.envelope) as { uploadId?: string }).uploadId, clock.now());
      log.warn("upload failed; will retry", { via: uploader.name, attempts: item.attempts + 1, retryInMs: delay, error: reason });
    } finally {
      audio?.fill(0);
      wav?.fill(0);
    }
    return true;
  }
}
