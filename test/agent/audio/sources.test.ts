/** The audio source contract against every adapter: real arecord mic, WAV file, memory fake. */
import { suite } from "uvu";
import { FileSource } from "../../../agent/audio/file-source.ts";
import { MicSource } from "../../../agent/audio/mic-source.ts";
import { FRAME_SAMPLES } from "../../../agent/units.ts";
import { MemoryAudioSource } from "../../fakes/memory-audio-source.ts";
import { createFakeMic } from "../../helpers/fake-mic.ts";
import { audioSourceContract } from "./audio-source.contract.ts";

const S = suite("audio sources (contract)");
const SPEECH = "test/fixtures/audio/speech-16k.wav";

audioSourceContract(S, "mic (real arecord via ALSA file plugin)", async () => {
  const mic = createFakeMic();
  mic.feed(Int16Array.from({ length: 16000 }, (_, i) => Math.round(3000 * Math.sin(i / 5))));
  const savedHome = process.env.HOME;
  process.env.HOME = mic.home; // arecord finds the test's .asoundrc through HOME
  return {
    source: new MicSource({ recorder: "arecord", device: mic.device, closeTimeoutMs: 200 }),
    cleanup: () => {
      process.env.HOME = savedHome;
      mic.stop();
    },
  };
});

audioSourceContract(S, "file (real time)", async () => ({
  source: new FileSource({ path: SPEECH, pacing: "realtime", loop: true }),
  cleanup: () => undefined,
}));

audioSourceContract(S, "file (unpaced, looping)", async () => ({
  source: new FileSource({ path: SPEECH, pacing: "unpaced", loop: true }),
  cleanup: () => undefined,
}));

audioSourceContract(S, "memory fake", async () => {
  const source = new MemoryAudioSource();
  return {
    source,
    drive: () => {
      const t = setInterval(() => source.push(new Int16Array(FRAME_SAMPLES)), 10);
      return () => clearInterval(t);
    },
    cleanup: () => undefined,
  };
});

S.run();
