/**
 * A kept session in a hotel room (profile "hotel"; seed 002's hotel scene, REQUIREMENTS CAP-10..12):
 * it may leave the device only as a standard service command of the hotel's catalogue, and
 * anything else is not received, recorded or relayed. The on-device command recogniser is not
 * built yet (issue 17), so today every session ends the second way: dropped. The audio is
 * zero-filled in RAM and nothing is written — no capture row, no audio, no upload, no log line
 * with content; the count of dropped sessions is the only trace.
 */
import type { Logger } from "../log.ts";
import type { KeptSession, SessionSink } from "../ports/session-sink.ts";
import type { VoiceSink } from "./voice-sink.ts";

export class HotelSink implements SessionSink {
  readonly counters = { dropped: 0 };
  readonly log: Logger;
  constructor(log: Logger) {
    this.log = log;
  }

  async keep(_session: KeptSession, audio: Int16Array): Promise<void> {
    audio.fill(0);
    this.counters.dropped++;
    this.log.info("hotel mode: session dropped (not a recognised catalogue command)", { dropped: this.counters.dropped });
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
