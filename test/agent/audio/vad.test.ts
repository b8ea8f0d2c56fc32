/** VAD contract, run against the WebRTC VAD and the energy fake used by gate tests. */
import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readPcm16 } from "../../../agent/audio/wav.ts";
import { createWebRtcVad } from "../../../agent/audio/webrtc-vad.ts";
import type { Vad } from "../../../agent/ports/vad.ts";
import { FRAME_SAMPLES } from "../../../agent/units.ts";
import { EnergyVad } from "../../fakes/energy-vad.ts";

const speech = readPcm16(readFileSync("test/fixtures/audio/speech-16k.wav"));
const frames = (s: Int16Array): Int16Array[] => {
  const out: Int16Array[] = [];
  for (let o = 0; o + FRAME_SAMPLES <= s.length; o += FRAME_SAMPLES) out.push(s.slice(o, o + FRAME_SAMPLES));
  return out;
};

function vadContract(name: string, make: () => Promise<Vad>): void {
  const V = suite(`VAD contract: ${name}`);
  V("digital silence is never speech", async () => {
    const vad = await make();
    for (let i = 0; i < 60; i++) assert.not.ok(vad.isSpeech(new Int16Array(FRAME_SAMPLES)), `silent frame ${i}`);
    vad.close();
  });
  V("spoken Mandarin is mostly speech in its middle, silence before it is not", async () => {
    const vad = await make();
    const fs = frames(speech);
    const flags = fs.map((f) => vad.isSpeech(f));
    // The fixture has 0.3 s of silence (9 frames) before the speech.
    assert.ok(
      flags.slice(0, 8).every((x) => !x),
      "leading silence",
    );
    const mid = flags.slice(12, fs.length - 20);
    const ratio = mid.filter(Boolean).length / mid.length;
    assert.ok(ratio > 0.5, `speech ratio ${ratio.toFixed(2)}`);
    vad.close();
  });
  V("reset() forgets earlier audio", async () => {
    const vad = await make();
    for (const f of frames(speech).slice(12, 30)) vad.isSpeech(f);
    vad.reset();
    assert.not.ok(vad.isSpeech(new Int16Array(FRAME_SAMPLES)));
    vad.close();
  });
  V.run();
}

vadContract("webrtc (libfvad wasm)", () => createWebRtcVad(2));
vadContract("energy fake", async () => new EnergyVad());
