/**
 * Drains the persistent upload queue and the upstream deletion requests, in two independent
 * lanes (issue 14.6): a slow receiver holding an upload never delays what the household asked
 * to delete. Each lane sends one request at a time and on failure reschedules with exponential
 * backoff and ±50 % jitter (so a fleet that lost its endpoint does not come back in lockstep).
 * Deletion requests leave in random order, spaced by a random gap (issue 14.7), so the receiver
 * cannot link several uploads as one household's by their deletions arriving together. The
 * queue lives in the ledger, so it survives restarts; an entry leaves it only after the receiver
 * accepted it. Audio is decrypted just for the send and zero-filled afterwards.
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
  /** Uniform [0, 1) for the jitter, the order of deletion requests and the gaps between them. */
  random: () => number;
  /** Longest random gap after each deletion request before the next one (default 0: none). */
  deletionGapMaxMs?: number;
  /**
   * Checked for every upload at send time, not only when it was queued: a policy or household
   * choice made since may forbid it (dropped) or withdraw training use (sent as not allowed).
   */
  permit?: () => { uploads: boolean; trainingAllowed: boolean; purposes?: readonly string[] };
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

/** One lane: drains while something is due, one request at a time, then sleeps until the next. */
class Lane {
  #timer: TimerHandle | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = true;
  /** The last drain hit an error: wait a little before the next one, never spin. */
  #pause = false;
  /** Not before this wall time: the gap after the last request. */
  #notBefore = 0;

  readonly name: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly step: () => Promise<{ gapMs: number } | false>;
  readonly nextDue: () => number | null;
  constructor(
    name: string,
    clock: Clock,
    log: Logger,
    /** One request; false when nothing is due. Returns the gap to keep before the next one. */
    step: () => Promise<{ gapMs: number } | false>,
    nextDue: () => number | null,
  ) {
    this.name = name;
    this.clock = clock;
    this.log = log;
    this.step = step;
    this.nextDue = nextDue;
  }

  start(): void {
    this.#stopped = false;
    this.kick();
  }

  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.clock.now() < this.#notBefore) return this.#schedule();
    this.#timer?.cancel();
    this.#timer = null;
    this.#running = this.#drain()
      .catch(() => undefined)
      .finally(() => {
        this.#running = null;
        if (this.#again && this.clock.now() >= this.#notBefore) {
          this.#again = false;
          this.kick();
        } else {
          this.#again = false;
          this.#schedule();
        }
      });
  }

  get busy(): Promise<void> | null {
    return this.#running;
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#stopped) return;
    let next: number | null;
    try {
      next = this.nextDue();
    } catch {
      next = this.clock.now();
      this.#pause = true;
    }
    if (next === null) return;
    const wait = Math.max(this.#pause ? 1000 : 0, next - this.clock.now(), this.#notBefore - this.clock.now());
    this.#pause = false;
    this.#timer?.cancel();
    this.#timer = this.clock.after(Millis(wait), () => {
      this.#timer = null;
      this.kick();
    });
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#stopped || this.clock.now() < this.#notBefore) return;
      try {
        const r = await this.step();
        if (!r) return;
        if (r.gapMs > 0) this.#notBefore = this.clock.now() + r.gapMs;
      } catch (e) {
        // A database error (busy, full) must not take the agent down; try again later.
        this.log.error(`${this.name} step failed; retrying later`, { error: toError(e).message });
        this.#pause = true;
        return;
      }
    }
  }
}

export class UploadWorker {
  readonly counters: UploadCounters = { sent: 0, failedAttempts: 0, deletions: 0 };
  readonly #deletions: Lane;
  readonly #uploads: Lane;

  readonly o: UploadWorkerOptions;
  constructor(o: UploadWorkerOptions) {
    this.o = o;
    this.#deletions = new Lane(
      "upstream deletion",
      o.clock,
      o.log,
      () => this.#deletionStep(),
      () => o.store.deletions.nextDue(),
    );
    this.#uploads = new Lane(
      "upload",
      o.clock,
      o.log,
      () => this.#uploadStep(),
      () => o.store.uploads.nextUploadDue(),
    );
  }

  start(): void {
    this.#deletions.start();
    this.#uploads.start();
  }

  /** Something became due (a new capture, a deletion, `spa uploads retry`): look now. */
  kick(): void {
    this.#deletions.kick();
    this.#uploads.kick();
  }

  /** Resolves when nothing is being sent (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [this.#deletions.busy, this.#uploads.busy].filter((p) => p !== null);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /**
   * Stops both lanes and waits for a request in flight at most `boundMs` (a receiver that
   * trickles its answer must not hold up shutdown; an unanswered upload is sent again later).
   */
  async stop(boundMs = 2000): Promise<void> {
    this.#deletions.stop();
    this.#uploads.stop();
    let timer: TimerHandle | undefined;
    await Promise.race([this.idle(), new Promise<void>((r) => (timer = this.o.clock.after(Millis(boundMs), r)))]);
    timer?.cancel();
  }

  /** One deletion request, picked at random among those due; false when none is due. */
  async #deletionStep(): Promise<{ gapMs: number } | false> {
    const { store, uploader, clock, log } = this.o;
    const del = store.deletions.due(clock.now(), this.o.random());
    if (!del) return false;
    try {
      await uploader.requestDeletion(del.uploadId);
      store.deletions.done(del.uploadId);
      this.counters.deletions++;
      this.o.audit?.("upstream-deletion", { outcome: "done" });
      log.info("upstream copy deleted", { via: uploader.name });
    } catch (e) {
      const delay = backoffMs(del.attempts, this.o.retryBaseMs, this.o.retryMaxMs, this.o.random());
      store.deletions.failed(del.uploadId, clock.now() + delay, toError(e).message.slice(0, 200));
      log.warn("upstream deletion failed; will retry", { via: uploader.name, retryInMs: delay, error: toError(e).message });
    }
    return { gapMs: Math.round((this.o.deletionGapMaxMs ?? 0) * this.o.random()) };
  }

  /** One upload; false when none is due. */
  async #uploadStep(): Promise<{ gapMs: number } | false> {
    const { store, uploader, clock, log } = this.o;
    const [item] = store.uploads.due(clock.now(), 1);
    if (!item) return false;
    let audio: Int16Array | null = null;
    let wav: Buffer | null = null;
    try {
      let envelope = UploadEnvelopeSchema.parse(JSON.parse(item.envelope));
      const permit = this.o.permit?.();
      if (permit && !permit.uploads) {
        store.uploads.dropUpload(item.captureId);
        log.info("queued upload dropped: uploads are no longer allowed");
        return { gapMs: 0 };
      }
      if (permit && !permit.trainingAllowed && envelope.trainingAllowed) envelope = { ...envelope, trainingAllowed: false };
      // A purpose withdrawn (or gone from the policy) since queueing is not named.
      if (permit?.purposes && envelope.purposes) {
        const purposes = envelope.purposes.filter((p) => permit.purposes!.includes(p));
        const { purposes: _gone, ...rest } = envelope;
        envelope = purposes.length ? { ...rest, purposes } : rest;
      }
      // A capture whose audio cannot be decrypted (damaged storage) throws here, like a failed send.
      audio = store.audio(item.captureId);
      if (!audio) throw new Error("the capture has no stored audio");
      wav = encodeWav(audio);
      await uploader.send(envelope, wav);
      store.uploads.sent(item.captureId, envelope.uploadId, clock.now());
      this.counters.sent++;
      this.o.audit?.("upload", { outcome: "sent", attempts: item.attempts + 1, trainingAllowed: envelope.trainingAllowed });
      log.info("upload delivered", { via: uploader.name, attempts: item.attempts + 1 });
    } catch (e) {
      this.counters.failedAttempts++;
      const delay = backoffMs(item.attempts, this.o.retryBaseMs, this.o.retryMaxMs, this.o.random());
      const reason = toError(e).message.slice(0, 200);
      store.uploads.failed(item.captureId, clock.now() + delay, reason, (JSON.parse(item.envelope) as { uploadId?: string }).uploadId, clock.now());
      log.warn("upload failed; will retry", { via: uploader.name, attempts: item.attempts + 1, retryInMs: delay, error: reason });
    } finally {
      audio?.fill(0);
      wav?.fill(0);
    }
    return { gapMs: 0 };
  }
}
