/**
 * Issue 14, finding 2: microphone steps are derived from the latest state only. Bursts of
 * talk-down / mute / unmute through the real driver and the real recorder (arecord reading a
 * fake microphone): once the final mute is processed, no recorder starts, and when things
 * settle the recorder is gone.
 */
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MicSource, pidAlive } from "../../../agent/audio/mic-source.ts";
import { GateDriver } from "../../../agent/capture/gate.driver.ts";
import { initialState, type GateInput } from "../../../agent/capture/gate.machine.ts";
import { silentLogger } from "../../../agent/log.ts";
import type { AudioSource } from "../../../agent/ports/audio-source.ts";
import { Timestamp } from "../../../agent/units.ts";
import { EnergyVad } from "../../fakes/energy-vad.ts";
import { FakeClock } from "../../fakes/fake-clock.ts";
import { RecordingBridge } from "../../fakes/recording-bridge.ts";
import { createFakeMic, type FakeMic } from "../../helpers/fake-mic.ts";
import { GATE_CONFIG } from "../../helpers/gate-harness.ts";

/** The real MicSource, counting recorder starts and the pids it had. */
class CountingMic implements AudioSource {
  readonly kind = "mic" as const;
  starts = 0;
  readonly pids: number[] = [];
  readonly real: MicSource;
  constructor(real: MicSource) {
    this.real = real;
  }
  get pid(): number | undefined {
    return this.real.pid;
  }
  get isOpen(): boolean {
    return this.real.isOpen;
  }
  onFrame(fn: (f: Int16Array) => void): void {
    this.real.onFrame(fn);
  }
  onError(fn: (e: Error) => void): void {
    this.real.onError(fn);
  }
  async open(): Promise<void> {
    this.starts++;
    await this.real.open();
    if (this.real.pid !== undefined) this.pids.push(this.real.pid);
  }
  close(): Promise<void> {
    return this.real.close();
  }
}

const C = suite("microphone steps collapse to the latest state (issue 14.2)");
let fake: FakeMic;
const savedHome = process.env.HOME;
C.before(() => {
  fake = createFakeMic();
  fake.feed(Int16Array.from({ length: 8000 }, (_, i) => (i % 50) * 80));
  process.env.HOME = fake.home;
});
C.after(() => {
  process.env.HOME = savedHome;
  fake.stop();
});

type Step = "talk-down" | "talk-up" | "mute" | "unmute" | "mute-button" | "tick";
const step = fc.constantFrom<Step>("talk-down", "talk-up", "mute", "unmute", "mute-button", "tick");

async function burst(steps: Step[]): Promise<{ startsAfterMute: number; pidsAlive: number[]; muted: boolean }> {
  const clock = new FakeClock();
  const mic = new CountingMic(new MicSource({ recorder: "arecord", device: fake.device, closeTimeoutMs: 500 }));
  const { state } = initialState(null, clock.now(), { wakeAvailable: false, farFieldAllowed: true, defaultMode: "near" });
  const driver = new GateDriver(state, {
    clock,
    mic,
    wake: null,
    vad: new EnergyVad(),
    bridge: new RecordingBridge(),
    sink: { keep: async () => undefined },
    store: { save: () => undefined, audit: () => undefined },
    log: silentLogger,
    config: GATE_CONFIG,
  });
  driver.start();
  const at = (): Timestamp => clock.now();
  for (const s of steps) {
    let input: GateInput | null = null;
    if (s === "talk-down" || s === "talk-up") input = { kind: "talk", at: at(), action: s === "talk-down" ? "down" : "up" };
    else if (s === "mute") input = { kind: "mute", at: at() };
    else if (s === "unmute") input = { kind: "unmute", at: at() };
    else if (s === "mute-button") input = { kind: "mute-button", at: at() };
    // A tick lets the event loop run (recorders start and stop meanwhile).
    else await new Promise((r) => setImmediate(r));
    if (input) driver.dispatch(input);
  }
  // The final mute, acknowledged here: count recorder starts from now on.
  driver.dispatch({ kind: "mute", at: at() });
  const muted = driver.snapshot().state === "muted";
  const before = mic.starts;
  await driver.settled();
  const startsAfterMute = mic.starts - before;
  const pidsAlive = mic.pids.filter(pidAlive);
  await driver.stop();
  return { startsAfterMute, pidsAlive, muted };
}

C("100 × [talk-down, mute, unmute] then mute: no recorder starts after the mute, none left running", async () => {
  const steps: Step[] = [];
  for (let i = 0; i < 100; i++) steps.push("talk-down", "mute", "unmute");
  const r = await burst(steps);
  assert.ok(r.muted);
  assert.is(r.startsAfterMute, 0);
  assert.equal(r.pidsAlive, []);
});

C("property: any burst ending in a mute starts no recorder after it and leaves none running", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), async (steps) => {
      const r = await burst(steps);
      return r.muted && r.startsAfterMute === 0 && r.pidsAlive.length === 0;
    }),
    { numRuns: 25 },
  );
});

C.run();
