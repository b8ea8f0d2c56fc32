/** Which sink a session goes to when the profile changes while the speaker runs. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { silentLogger } from "../../../agent/log.ts";
import type { KeptSession } from "../../../agent/ports/session-sink.ts";
import { HotelSink, ProfileSink } from "../../../agent/session/hotel-sink.ts";
import { Timestamp } from "../../../agent/units.ts";

const P = suite("profile sink");
const session = (startedAt: number, endedAt: number): KeptSession => ({
  id: 1,
  trigger: "talk",
  startedAt: Timestamp(startedAt),
  endedAt: Timestamp(endedAt),
  frames: 10,
  endReason: "talk-up",
});

function setup(): { sink: ProfileSink; home: number[]; hotel: HotelSink; set: (h: boolean) => void } {
  let hotelNow = false;
  const home: number[] = [];
  const hotel = new HotelSink(silentLogger);
  const sink = new ProfileSink(() => hotelNow, hotel, { keep: async (s) => void home.push(s.id), cancelInFlight: () => 0 }, 60_000);
  return { sink, home, hotel, set: (h) => (hotelNow = h) };
}

P("at home sessions are kept; in hotel mode they are dropped and their audio zero-filled", async () => {
  const { sink, home, hotel, set } = setup();
  await sink.keep(session(0, 1000), new Int16Array([1, 2, 3]));
  assert.equal(home, [1]);
  set(true);
  const audio = new Int16Array([5, 6, 7]);
  await sink.keep(session(2000, 3000), audio);
  assert.equal(home, [1]);
  assert.is(hotel.counters.dropped, 1);
  assert.equal([...audio], [0, 0, 0]);
});

P("a session that began in hotel mode is dropped even when it ends after leaving it; its events stay unaudited for the longest session", async () => {
  const { sink, home, hotel, set } = setup();
  set(true);
  assert.ok(sink.quiet(10_000));
  set(false);
  sink.changed(false, 20_000);
  await sink.keep(session(15_000, 25_000), new Int16Array(4));
  assert.equal(home, [], "began as a guest's");
  assert.is(hotel.counters.dropped, 1);
  assert.ok(sink.quiet(25_000), "within the longest session after leaving");
  assert.not.ok(sink.quiet(20_000 + 60_001), "after it");
  await sink.keep(session(21_000, 30_000), new Int16Array(4));
  assert.equal(home, [1], "began after leaving: the household's");
});

P.run();
