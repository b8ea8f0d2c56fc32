/** WAV reading/writing, framing, and the file source's format checks and pacing. */
import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FileSource } from "../../../agent/audio/file-source.ts";
import { FrameChunker, Rechunker } from "../../../agent/audio/frames.ts";
import { encodeWav, parseWavHeader, readPcm16 } from "../../../agent/audio/wav.ts";
import { isAgentError } from "../../../agent/errors.ts";
import { FRAME_SAMPLES } from "../../../agent/units.ts";
import { sleep, until } from "../../helpers/tmp.ts";

const W = suite("wav and frames");

W("encodeWav → readPcm16 round-trips samples", () => {
  const s = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
  assert.equal(Array.from(readPcm16(encodeWav(s))), Array.from(s));
});

W("a 44.1 kHz stereo file is refused with a message that says how to convert it", () => {
  const buf = readFileSync("test/fixtures/audio/speech-44k-stereo.wav");
  try {
    readPcm16(buf, "speech-44k-stereo.wav");
    assert.unreachable();
  } catch (e) {
    assert.ok(isAgentError(e, "AUDIO_FORMAT"));
    assert.match((e as Error).message, /44100 Hz, 2 channel/);
    assert.match((e as Error).message, /sox/);
  }
});

W("non-WAV and truncated input is refused, not misread", () => {
  for (const bad of [Buffer.from("hello world, not a wav"), Buffer.alloc(0), encodeWav(new Int16Array(4)).subarray(0, 30)]) {
    try {
      parseWavHeader(bad);
      assert.unreachable();
    } catch (e) {
      assert.ok(isAgentError(e, "AUDIO_FORMAT"), String(e));
    }
  }
});

W("FrameChunker cuts any chunking of a byte stream into the same 512-sample frames", () => {
  const samples = Int16Array.from({ length: FRAME_SAMPLES * 3 + 100 }, (_, i) => (i * 7) % 30000);
  const bytes = Buffer.from(samples.buffer);
  for (const step of [1, 3, 1000, 1024, 5000]) {
    const c = new FrameChunker();
    const frames: Int16Array[] = [];
    for (let off = 0; off < bytes.length; off += step) frames.push(...c.push(bytes.subarray(off, off + step)));
    assert.is(frames.length, 3, `chunk size ${step}`);
    assert.equal(Array.from(frames[2]!), Array.from(samples.subarray(FRAME_SAMPLES * 2, FRAME_SAMPLES * 3)));
  }
});

W("Rechunker turns 512-sample frames into 480-sample blocks without losing samples", () => {
  const r = new Rechunker(480);
  const got: number[] = [];
  for (let f = 0; f < 15; f++)
    r.push(
      Int16Array.from({ length: 512 }, (_, i) => f * 512 + i),
      (b) => got.push(...b),
    );
  assert.is(got.length, Math.floor((15 * 512) / 480) * 480);
  assert.ok(got.every((v, i) => v === i));
});

W("file source: unpaced delivers every whole frame, then ends", async () => {
  const src = new FileSource({ path: "test/fixtures/audio/speech-16k.wav", pacing: "unpaced", loop: false });
  let frames = 0;
  let ended = false;
  src.onFrame(() => frames++);
  src.onEnd(() => (ended = true));
  await src.open();
  await until(() => ended, 5000, "the end of the file");
  const samples = readPcm16(readFileSync("test/fixtures/audio/speech-16k.wav")).length;
  assert.is(frames, Math.floor(samples / FRAME_SAMPLES));
  assert.not.ok(src.isOpen);
});

W("file source: real-time pacing does not run ahead of the clock", async () => {
  const src = new FileSource({ path: "test/fixtures/audio/speech-16k.wav", pacing: "realtime", loop: true });
  let frames = 0;
  src.onFrame(() => frames++);
  const t0 = performance.now();
  await src.open();
  await sleep(200);
  await src.close();
  const elapsed = performance.now() - t0;
  assert.ok(frames <= Math.ceil(elapsed / 32) + 1, `${frames} frames in ${elapsed.toFixed(0)} ms`);
  assert.ok(frames >= 1);
});

W("file source: a missing file and a wrong format are clear errors", async () => {
  for (const [path, code] of [
    ["test/fixtures/audio/nope.wav", "AUDIO_FILE"],
    ["test/fixtures/audio/speech-44k-stereo.wav", "AUDIO_FORMAT"],
  ] as const) {
    try {
      await new FileSource({ path, pacing: "unpaced", loop: false }).open();
      assert.unreachable();
    } catch (e) {
      assert.ok(isAgentError(e, code), String(e));
    }
  }
});

W.run();
