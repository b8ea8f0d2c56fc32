/** Which sink a session goes to when the profile changes while the speaker runs, and what the hotel sink lets out. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { silentLogger } from "../../../agent/log.ts";
import type { KeptSession } from "../../../agent/ports/session-sink.ts";
import { HotelSink, ProfileSink } from "../../../agent/session/hotel-sink.ts";
import { Timestamp } from "../../../agent/units.ts";
import { FEATURES, type CommandModel } from "../../../agent/hotel/recogniser.ts";
import type { HotelCommand } from "../../../agent/session/hotel-sink.ts";
import { SpeechEmbedder } from "../../../agent/wake/embedding.ts";

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
  const hotel = new HotelSink({ log: silentLogger, recogniser: async () => null, forward: () => assert.unreachable("nothing is recognised") });
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

/** A model that always answers `winner` (0: the first command; 2: none), whatever it hears. */
function fixedModel(winner: number): CommandModel {
  const w2 = new Float32Array(3);
  w2[winner] = 10;
  return {
    format: "spa-hotel-commands/2",
    commands: [
      { id: "clean-room", text: "即刻打扫房间" },
      { id: "slippers", text: "提供一双拖鞋" },
    ],
    hidden: 1,
    mean: new Float32Array(FEATURES),
    std: new Float32Array(FEATURES).fill(1),
    members: [{ w1: new Float32Array(FEATURES), b1: Float32Array.of(1), w2, b2: new Float32Array(3) }],
    threshold: 0.9,
  };
}

const H = suite("hotel sink with a recogniser");

H("a recognised command leaves as {commandId, text, minute} only; anything else is dropped; the audio is zero-filled either way", async () => {
  const features = await SpeechEmbedder.shared();
  const sent: HotelCommand[] = [];
  for (const [winner, expect] of [
    [0, "clean-room"],
    [2, null],
  ] as const) {
    const sink = new HotelSink({ log: silentLogger, recogniser: async () => ({ model: fixedModel(winner), features }), forward: (c) => void sent.push(c) });
    const audio = Int16Array.from({ length: 32000 }, (_, i) => Math.round(8000 * Math.sin(i / 7)));
    await sink.keep(session(Date.UTC(2026, 11, 3, 4, 42, 31), Date.UTC(2026, 11, 3, 4, 42, 33)), audio);
    assert.ok(
      audio.every((v) => v === 0),
      "audio zero-filled",
    );
    assert.equal(sink.counters, expect ? { forwarded: 1, dropped: 0 } : { forwarded: 0, dropped: 1 });
  }
  assert.equal(sent, [{ commandId: "clean-room", text: "即刻打扫房间", minute: "2026-12-03T04:42Z" }]);
});

H("a recogniser that fails drops the session (nothing leaves unrecognised)", async () => {
  const sink = new HotelSink({
    log: silentLogger,
    recogniser: async () => {
      throw new Error("model file damaged");
    },
    forward: () => assert.unreachable("nothing may leave"),
  });
  const audio = new Int16Array(16000).fill(1234);
  await sink.keep(session(0, 1000), audio);
  assert.equal(sink.counters, { forwarded: 0, dropped: 1 });
  assert.ok(audio.every((v) => v === 0));
});

H.run();
