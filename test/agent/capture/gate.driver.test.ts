/** The gate driver on fakes (virtual clock, memory audio, recording bridge). */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { GateDriver } from "../../../agent/capture/gate.driver.ts";
import { initialState, type PersistedGate } from "../../../agent/capture/gate.machine.ts";
import { silentLogger } from "../../../agent/log.ts";
import type { KeptSession, SessionSink } from "../../../agent/ports/session-sink.ts";
import type { WakeEngine } from "../../../agent/ports/wake-engine.ts";
import { FRAME_SAMPLES, Millis } from "../../../agent/units.ts";
import { EnergyVad } from "../../fakes/energy-vad.ts";
import { FakeClock } from "../../fakes/fake-clock.ts";
import { ScriptedWake } from "../../fakes/fake-wake.ts";
import { MemoryAudioSource } from "../../fakes/memory-audio-source.ts";
import { RecordingBridge } from "../../fakes/recording-bridge.ts";
import { GATE_CONFIG } from "../../helpers/gate-harness.ts";

class ListSink implements SessionSink {
  readonly kept: Array<{ meta: KeptSession; audio: Int16Array }> = [];
  fail = false;
  async keep(meta: KeptSession, audio: Int16Array): Promise<void> {
    if (this.fail) throw new Error("disk full");
    this.kept.push({ meta, audio: Int16Array.from(audio) });
    audio.fill(0);
  }
}

function setup(opts: { wake?: WakeEngine | null; persisted?: PersistedGate | null } = {}) {
  const clock = new FakeClock();
  const mic = new MemoryAudioSource();
  const bridge = new RecordingBridge();
  const sink = new ListSink();
  const saved: PersistedGate[] = [];
  const events: string[] = [];
  const store = { save: (s: PersistedGate) => void saved.push(s), audit: (_at: number, e: { type: string }) => void events.push(e.type) };
  const wake = opts.wake === undefined ? new ScriptedWake(new Set([0])) : opts.wake;
  const { state } = initialState(opts.persisted ?? null, clock.now(), { wakeAvailable: wake !== null, farFieldAllowed: true, defaultMode: "far" });
  const driver = new GateDriver(state, { clock, mic, wake, vad: new EnergyVad(), bridge, sink, store, log: silentLogger, config: GATE_CONFIG });
  return { clock, mic, bridge, sink, saved, events, driver };
}

const loud = (v = 3000): Int16Array => Int16Array.from({ length: FRAME_SAMPLES }, (_, i) => (i % 2 ? v : -v));
const quiet = (): Int16Array => new Int16Array(FRAME_SAMPLES);

const D = suite("capture gate driver");

D("far-field: wake, LED ack, speech, silence → one kept session with exactly those frames", async () => {
  const { mic, driver, sink, clock, bridge } = setup();
  driver.start();
  await driver.settled();
  assert.ok(mic.isOpen, "armed far-field opens the mic");
  mic.push(quiet()); // wake engine fires on its first frame
  assert.is(driver.state.phase.kind, "capturing");
  assert.equal(bridge.leds.at(-1), "listening");
  driver.dispatch({ kind: "led-ack", at: clock.now(), pattern: "listening" });
  const frames = [loud(1000), loud(2000), loud(3000)];
  for (const f of frames) mic.push(f);
  for (let i = 0; i < GATE_CONFIG.trailingSilenceFrames; i++) mic.push(quiet());
  await driver.settled();
  assert.is(sink.kept.length, 1);
  const k = sink.kept[0]!;
  assert.is(k.meta.trigger, "wake");
  assert.is(k.meta.keyword, "天猫精灵");
  assert.is(k.meta.frames, 3 + GATE_CONFIG.trailingSilenceFrames);
  assert.is(k.audio[1], 1000);
  assert.is(k.audio[FRAME_SAMPLES + 1], 2000);
  for (const f of frames)
    assert.ok(
      f.every((x) => x === 0),
      "delivered frame buffers are zero-filled after use",
    );
  assert.is(driver.state.phase.kind, "armed");
});

D("mute during a capture: mic closed first, session discarded, nothing kept", async () => {
  const { mic, driver, sink, clock, bridge, events } = setup();
  driver.start();
  await driver.settled();
  mic.push(quiet());
  driver.dispatch({ kind: "led-ack", at: clock.now(), pattern: "listening" });
  mic.push(loud());
  // A recorder takes a moment to die: frames may still arrive until it has.
  mic.slowClose = true;
  driver.dispatch({ kind: "mute-button", at: clock.now() });
  assert.is(driver.state.phase.kind, "muted");
  const late = loud();
  assert.ok(mic.push(late), "still open until the close completes");
  mic.releaseClose();
  await driver.settled();
  assert.not.ok(mic.isOpen);
  assert.is(sink.kept.length, 0);
  assert.is(driver.counters.framesDropped, 1);
  assert.ok(
    late.every((x) => x === 0),
    "a dropped frame is zero-filled",
  );
  assert.equal(bridge.leds.at(-1), "muted");
  assert.equal(bridge.micPowers.at(-1), false);
  assert.ok(events.includes("session-discarded") && events.includes("mute"));
});

D("timed mute: still muted 1 ms before the deadline, armed at it (virtual clock)", async () => {
  const { mic, driver, clock, saved } = setup({ wake: new ScriptedWake() });
  driver.start();
  await driver.settled();
  driver.dispatch({ kind: "mute-for", at: clock.now(), duration: Millis(30 * 60_000) });
  await driver.settled();
  assert.ok(saved.at(-1)?.userMute?.until !== undefined, "the deadline is persisted");
  clock.advance(30 * 60_000 - 1);
  await driver.settled();
  assert.is(driver.state.phase.kind, "muted");
  assert.not.ok(mic.isOpen);
  clock.advance(1);
  await driver.settled();
  assert.is(driver.state.phase.kind, "armed");
  assert.ok(mic.isOpen);
});

D("near-field: mic closed in standby, open only between talk-down and talk-up", async () => {
  const { mic, driver, clock, sink } = setup({ persisted: { mode: "near", hwSwitch: false, fleetMute: false, userMute: null } });
  driver.start();
  await driver.settled();
  assert.not.ok(mic.isOpen);
  driver.dispatch({ kind: "talk", at: clock.now(), action: "down" });
  await driver.settled();
  assert.ok(mic.isOpen);
  driver.dispatch({ kind: "led-ack", at: clock.now(), pattern: "listening" });
  mic.push(loud());
  mic.push(loud());
  clock.advance(64);
  driver.dispatch({ kind: "talk", at: clock.now(), action: "up" });
  assert.not.ok(mic.push(loud()) && driver.counters.framesAccepted > 2, "no frame after talk-up is accepted");
  await driver.settled();
  assert.not.ok(mic.isOpen);
  assert.is(sink.kept.length, 1);
  assert.is(sink.kept[0]!.meta.frames, 2);
  assert.is(sink.kept[0]!.meta.endReason, "talk-up");
});

D("LED never acknowledged → session discarded, gate failed, then retries", async () => {
  const { mic, driver, clock, sink, bridge } = setup({ wake: new ScriptedWake(new Set([0])) });
  driver.start();
  await driver.settled();
  mic.push(quiet());
  mic.push(loud());
  clock.advance(GATE_CONFIG.ledAckMs);
  await driver.settled();
  assert.is(driver.state.phase.kind, "failed");
  assert.not.ok(mic.isOpen);
  assert.ok(bridge.unavailable.some((r) => r.includes("LED")));
  clock.advance(GATE_CONFIG.retryMs);
  await driver.settled();
  assert.is(driver.state.phase.kind, "armed");
  assert.ok(mic.isOpen);
  assert.is(sink.kept.length, 0);
});

D("a microphone that cannot open fails closed and retries with backoff", async () => {
  const { mic, driver, clock } = setup();
  mic.failNextOpen = new Error("arecord: audio open error");
  driver.start();
  await driver.settled();
  assert.is(driver.state.phase.kind, "failed");
  assert.is(driver.counters.micErrors, 1);
  clock.advance(GATE_CONFIG.retryMs);
  await driver.settled();
  assert.is(driver.state.phase.kind, "armed");
  assert.ok(mic.isOpen);
});

D("an exception in the wake engine closes the mic (fail closed)", async () => {
  const broken: WakeEngine = {
    name: "broken",
    frameLength: FRAME_SAMPLES,
    process: () => {
      throw new Error("model crashed");
    },
    reset: () => undefined,
    close: () => undefined,
  };
  const { mic, driver } = setup({ wake: broken });
  driver.start();
  await driver.settled();
  mic.push(quiet());
  await driver.settled();
  assert.is(driver.state.phase.kind, "failed");
  assert.not.ok(mic.isOpen);
});

D("a failing session sink loses that session but the gate goes on", async () => {
  const { mic, driver, clock, sink } = setup({ wake: new ScriptedWake(new Set([0, 1])) });
  sink.fail = true;
  driver.start();
  await driver.settled();
  const utter = (): void => {
    mic.push(quiet());
    driver.dispatch({ kind: "led-ack", at: clock.now(), pattern: "listening" });
    for (let i = 0; i < 3; i++) mic.push(loud());
    for (let i = 0; i < GATE_CONFIG.trailingSilenceFrames; i++) mic.push(quiet());
  };
  utter();
  await driver.settled();
  assert.is(driver.state.phase.kind, "armed");
  sink.fail = false;
  utter();
  await driver.settled();
  assert.is(sink.kept.length, 1);
});

D("without a wake engine far-field stays in standby with the mic closed and says so", async () => {
  const { mic, driver, bridge } = setup({ wake: null });
  driver.start();
  await driver.settled();
  assert.is(driver.state.phase.kind, "standby");
  assert.not.ok(mic.isOpen);
  assert.ok(bridge.unavailable.length > 0);
});

D("every state change is broadcast to the firmware once", async () => {
  const { driver, clock, bridge } = setup();
  driver.start();
  const n = bridge.states.length;
  driver.dispatch({ kind: "mute", at: clock.now() });
  driver.dispatch({ kind: "mute", at: clock.now() });
  assert.is(bridge.states.length, n + 1);
  assert.is(bridge.states.at(-1)!.state, "muted");
});

D.run();
