/**
 * What happens to a kept session's audio: the voice is modified in RAM (McAdams, α drawn per
 * capture from the policy range and forgotten), the raw buffer is zero-filled, the modified
 * audio is stored encrypted in the ledger, and — if uploads are on — a de-identified upload is
 * queued in the same transaction. Raw audio never reaches a file, a log or the database.
 */
import type { CaptureStore } from "../ledger/captures.ts";
import type { Logger } from "../log.ts";
import type { KeptSession, SessionSink } from "../ports/session-sink.ts";
import { FRAME_MS } from "../units.ts";
import { makeEnvelope } from "../upload/envelope.ts";
import { MCADAMS, mcadamsPcm16Steps } from "../privacy/mcadams.ts";

export interface VoiceSinkOptions {
  store: CaptureStore;
  log: Logger;
  /** Uniform [0, 1) from a CSPRNG. */
  random: () => number;
  /** Read at each capture, so policy changes apply to the next one. */
  alphaRange: () => readonly [number, number];
  uploadsOn: () => boolean;
  trainingAllowed: () => boolean;
  /** The fleet purposes the household has granted (named in each upload; absent: none). */
  purposes?: () => string[];
  policyVersion: () => number;
  locale: string;
  queueMax: number;
  /** An upload is first sent after a random delay of up to this long (0: at once). */
  sendDelayMaxMs?: number;
  /** Retention birth times of a capture that started at `startedAt` (ledger's clocks). */
  birth: (startedAt: number) => { wall: number; uptime: number };
  /** Told after a capture was stored (the ledger schedules its expiry). */
  onStored?: () => void;
  /** Told after an upload was queued (the worker sends it). */
  onQueued?: () => void;
}

export class VoiceSink implements SessionSink {
  /** Captures stored, and frames muted by the modifier (numerical failures; normally 0). */
  readonly counters = { stored: 0, mutedFrames: 0, cancelled: 0 };
  readonly #inFlight = new Set<{ cancelled: boolean }>();
  readonly o: VoiceSinkOptions;
  constructor(o: VoiceSinkOptions) {
    this.o = o;
  }

  /**
   * A deletion request arrived while captures are still being modified: they are the newest
   * captures, so any scope (last, today, all) covers them. They are dropped before they are
   * stored. Returns how many.
   */
  cancelInFlight(): number {
    let n = 0;
    for (const t of this.#inFlight) {
      if (!t.cancelled) n++;
      t.cancelled = true;
    }
    this.counters.cancelled += n;
    return n;
  }

  async keep(session: KeptSession, audio: Int16Array): Promise<void> {
    const token = { cancelled: false };
    this.#inFlight.add(token);
    try {
      await this.#keep(session, audio, token);
    } finally {
      this.#inFlight.delete(token);
    }
  }

  async #keep(session: KeptSession, audio: Int16Array, token: { cancelled: boolean }): Promise<void> {
    const [lo, hi] = this.o.alphaRange();
    let modified: Int16Array;
    try {
      // In steps, giving the event loop back in between: a mute must not wait for this.
      const steps = mcadamsPcm16Steps(audio, lo + (hi - lo) * this.o.random());
      let r = steps.next();
      while (!r.done) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        r = steps.next();
      }
      modified = r.value.audio;
      this.counters.mutedFrames += r.value.mutedFrames;
    } finally {
      audio.fill(0);
    }
    try {
      if (token.cancelled) return;
      const durationMs = Math.round(session.frames * FRAME_MS);
      const policyVersion = this.o.policyVersion();
      const birth = this.o.birth(session.startedAt);
      const anonymization = { method: MCADAMS.method, version: MCADAMS.version };
      const envelope = this.o.uploadsOn()
        ? makeEnvelope({
            capturedAt: session.startedAt,
            durationMs,
            trigger: session.trigger,
            locale: this.o.locale,
            trainingAllowed: this.o.trainingAllowed(),
            purposes: this.o.purposes?.() ?? [],
            anonymization,
            policyVersion,
          })
        : null;
      this.o.store.insert(
        {
          trigger: session.trigger,
          keyword: session.keyword ?? null,
          startedAt: session.startedAt,
          endedAt: session.endedAt,
          durationMs,
          endReason: session.endReason,
          policyVersion,
          anonymization: `${MCADAMS.method}/${MCADAMS.version}`,
          capturedWall: birth.wall,
          capturedUptime: birth.uptime,
        },
        modified,
        // A random send delay: the receiver must not learn the capture time from the arrival time.
        envelope
          ? {
              uploadId: envelope.uploadId,
              envelope: JSON.stringify(envelope),
              at: session.endedAt + (this.o.sendDelayMaxMs ? Math.round(this.o.sendDelayMaxMs * this.o.random()) : 0),
            }
          : null,
      );
      this.counters.stored++;
      this.o.onStored?.();
      if (envelope) {
        const dropped = this.o.store.uploads.trimQueue(this.o.queueMax);
        if (dropped) this.o.log.warn("upload queue full: oldest uploads dropped (captures kept locally)", { dropped });
        this.o.onQueued?.();
      }
    } finally {
      modified.fill(0);
    }
  }
}
