/**
 * A kept session in a hotel room (profile "hotel"; seed 002's hotel scene, REQUIREMENTS CAP-10..12):
 * it may leave the device only as a standard service command of the hotel's catalogue, and
 * anything else is not received, recorded or relayed. The session's audio is turned into speech
 * embeddings in RAM and the command recogniser (agent/hotel/recogniser.ts) decides: a catalogue
 * command → only `{commandId, text, minute}` leaves (forward()); anything else → dropped. Either way
 * the audio and its embeddings are zero-filled, and nothing is written — no capture row, no audio,
 * no upload, no transcript; the counts of forwarded and dropped sessions are the only trace.
 */
import type { Logger } from "../log.ts";
import type { KeptSession, SessionSink } from "../ports/session-sink.ts";
import type { CommandModel } from "../hotel/recogniser.ts";
import { framedForRecognition, recognise } from "../hotel/recogniser.ts";
import type { SpeechFeatures } from "../wake/embedding.ts";
import type { VoiceSink } from "./voice-sink.ts";

/** What leaves a guest room: the normalised command and the minute it was asked in. */
export interface HotelCommand {
  commandId: string;
  text: string;
  /** ISO time to the minute (UTC), e.g. 2026-12-03T04:42Z. */
  minute: string;
}

export interface HotelSinkOptions {
  log: Logger;
  /** The recogniser and the front end it reads (loaded on first use); null: none, every session is dropped. */
  recogniser: () => Promise<{ model: CommandModel; features: SpeechFeatures } | null>;
  /** The only way out of a guest room. */
  forward: (c: HotelCommand) => void;
  /** Told when a session is dropped (nothing about it but that it happened). */
  dropped?: () => void;
}

export class HotelSink implements SessionSink {
  readonly counters = { forwarded: 0, dropped: 0 };
  readonly o: HotelSinkOptions;
  constructor(o: HotelSinkOptions) {
    this.o = o;
  }

  async keep(session: KeptSession, audio: Int16Array): Promise<void> {
    let command: HotelCommand | null = null;
    try {
      const r = await this.o.recogniser();
      if (r) {
        // The recogniser hears the session's speech the way it was trained: with half a second around it.
        const padded = framedForRecognition(audio);
        audio.fill(0);
        let embeddings: Float32Array[];
        try {
          embeddings = await r.features.embedClip(padded);
        } finally {
          padded.fill(0);
        }
        const got = recognise(r.model, embeddings);
        for (const e of embeddings) e.fill(0);
        if (got)
          command = { commandId: got.id, text: got.text, minute: `${new Date(Math.floor(session.endedAt / 60_000) * 60_000).toISOString().slice(0, 16)}Z` };
      }
    } catch (e) {
      // A recogniser failure drops the session: nothing leaves unless it was recognised.
      this.o.log.error("hotel mode: the command recogniser failed; session dropped", { error: (e as Error).message });
    } finally {
      audio.fill(0);
    }
    if (command) {
      this.counters.forwarded++;
      this.o.log.debug("hotel mode: catalogue command forwarded", { commandId: command.commandId, forwarded: this.counters.forwarded });
      this.o.forward(command);
    } else {
      this.counters.dropped++;
      this.o.log.debug("hotel mode: session dropped (not a recognised catalogue command)", { dropped: this.counters.dropped });
      this.o.dropped?.();
    }
  }

  /** Nothing of a guest's is ever in flight to be cancelled. */
  cancelInFlight(): number {
    return 0;
  }
}

/**
 * The device's sink when its profile can change while it runs (the config, or a fleet policy
 * that puts it in a hotel room and a later one that takes it out): a session goes to the hotel
 * sink if the device is in hotel mode when it ends, or was when it started.
 */
export class ProfileSink implements SessionSink {
  #leftHotelAt = -Infinity;
  readonly hotelNow: () => boolean;
  readonly hotel: HotelSink;
  readonly home: Pick<VoiceSink, "keep" | "cancelInFlight">;
  /** The longest a session can last (ms): how long after leaving hotel mode a session may still be a guest's. */
  readonly longestSessionMs: number;
  constructor(hotelNow: () => boolean, hotel: HotelSink, home: Pick<VoiceSink, "keep" | "cancelInFlight">, longestSessionMs: number) {
    this.hotelNow = hotelNow;
    this.hotel = hotel;
    this.home = home;
    this.longestSessionMs = longestSessionMs;
  }

  /**
   * Whether a session's events at `at` must leave no audit row: in hotel mode, or so soon after
   * leaving it that the session may have begun in a guest's room.
   */
  quiet(at: number): boolean {
    return this.hotelNow() || at - this.#leftHotelAt <= this.longestSessionMs;
  }

  /** Told when the profile changes (agent clock). */
  changed(hotel: boolean, at: number): void {
    if (!hotel) this.#leftHotelAt = at;
  }

  keep(session: KeptSession, audio: Int16Array): Promise<void> {
    return this.hotelNow() || session.startedAt <= this.#leftHotelAt ? this.hotel.keep(session, audio) : this.home.keep(session, audio);
  }

  cancelInFlight(): number {
    return this.home.cancelInFlight();
  }
}
