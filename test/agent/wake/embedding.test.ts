/** The speech-embedding front end: the device's (WebAssembly) against onnxruntime on the same model files. */
import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readPcm16 } from "../../../agent/audio/wav.ts";
import { CHUNK_SAMPLES, EMBED_DIM, SpeechEmbedder, type SpeechFeatures } from "../../../agent/wake/embedding.ts";
import { OnnxSpeechEmbedder } from "../../../agent/wake/embedding-onnx.ts";
import { FRAME_SAMPLES } from "../../../agent/units.ts";

const E = suite("speech embedding front end");
const speech = readPcm16(readFileSync("test/fixtures/audio/speech-16k.wav"));
let wasm: SpeechEmbedder;
let onnx: OnnxSpeechEmbedder;
E.before(async () => {
  wasm = await SpeechEmbedder.load();
  onnx = await OnnxSpeechEmbedder.load();
});
E.after(async () => {
  await wasm.close();
  await onnx.close();
});

/** Largest difference between two embedding sequences, relative to the largest value. */
function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++)
    for (let k = 0; k < EMBED_DIM; k++) {
      d = Math.max(d, Math.abs(a[i]![k]! - b[i]![k]!));
      scale = Math.max(scale, Math.abs(b[i]![k]!));
    }
  return d / scale;
}

for (const which of ["wasm", "onnx"] as const) {
  const fe = (): SpeechFeatures => (which === "wasm" ? wasm : onnx);

  E(`${which}: one finite 96-dim embedding per 80 ms once 76 mel frames exist`, async () => {
    const embs = await fe().embedClip(speech);
    const chunks = Math.floor(speech.length / CHUNK_SAMPLES);
    // 76 mel frames need 10 chunks of 8 frames; then one embedding per chunk.
    assert.is(embs.length, chunks - 9, `${embs.length} embeddings for ${chunks} chunks`);
    for (const e of embs) {
      assert.is(e.length, EMBED_DIM);
      assert.ok(e.every(Number.isFinite));
    }
  });

  E(`${which}: feeding 512-sample frames gives the same embeddings as one push of the whole clip`, async () => {
    const offline = await fe().embedClip(speech);
    const streamed: Float32Array[] = [];
    const s = fe().stream(
      (e) => streamed.push(e),
      (e) => assert.unreachable(e.message),
    );
    for (let o = 0; o + FRAME_SAMPLES <= speech.length; o += FRAME_SAMPLES) s.push(speech.slice(o, o + FRAME_SAMPLES));
    await s.drain();
    assert.is(streamed.length, offline.length);
    assert.ok(maxRelDiff(streamed, offline) < 1e-6, "same numbers");
  });

  E(`${which}: speech and silence give clearly different embeddings`, async () => {
    const silent = await fe().embedClip(new Int16Array(16000 * 2));
    const talk = await fe().embedClip(speech);
    const dist = (a: Float32Array, b: Float32Array): number => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
    const mid = talk[Math.floor(talk.length / 2)]!;
    assert.ok(dist(silent[0]!, silent.at(-1)!) < dist(silent[0]!, mid) / 4, "silence is stable, speech is far from it");
  });

  E(`${which}: reset() drops audio in flight: nothing from before it is emitted after`, async () => {
    const got: Float32Array[] = [];
    const s = fe().stream(
      (e) => got.push(e),
      () => undefined,
    );
    // Less than a window: nothing is out yet, and nothing from it may come out after the reset.
    for (let o = 0; o + FRAME_SAMPLES <= 9 * CHUNK_SAMPLES; o += FRAME_SAMPLES) s.push(speech.slice(o, o + FRAME_SAMPLES));
    s.reset();
    await s.drain();
    assert.is(got.length, 0);
    // After a reset the stream starts over: the same audio gives the same embeddings as a fresh clip.
    s.push(speech);
    await s.drain();
    const fresh = await fe().embedClip(speech);
    assert.is(got.length, fresh.length);
    assert.ok(maxRelDiff(got, fresh) < 1e-6, "a reset stream equals a new one");
  });
}

E("the device's front end gives onnxruntime's embeddings (within float rounding) on speech, silence and noise", async () => {
  const noise = Int16Array.from({ length: 16000 * 3 }, (_, i) => Math.round(Math.sin(i * 12.9898) * 43758.5453 * 1000) % 8000);
  for (const [name, clip] of [
    ["speech", speech],
    ["silence", new Int16Array(16000 * 2)],
    ["noise", noise],
  ] as const) {
    const a = await wasm.embedClip(clip);
    const b = await onnx.embedClip(clip);
    assert.is(a.length, b.length, name);
    const d = maxRelDiff(a, b);
    assert.ok(d < 2e-5, `${name}: relative difference ${d}`);
  }
});

E("two streams on one network do not share state, and a closed stream's rows are reused zeroed", async () => {
  const a: Float32Array[] = [];
  const b: Float32Array[] = [];
  const sa = wasm.stream(
    (e) => a.push(e),
    () => undefined,
  );
  const sb = wasm.stream(
    (e) => b.push(e),
    () => undefined,
  );
  for (let o = 0; o + FRAME_SAMPLES <= speech.length; o += FRAME_SAMPLES) {
    sa.push(speech.slice(o, o + FRAME_SAMPLES));
    sb.push(new Int16Array(FRAME_SAMPLES));
  }
  sa.close();
  sb.close();
  const fresh = await wasm.embedClip(speech);
  assert.ok(maxRelDiff(a, fresh) < 1e-6, "interleaved with another stream, the same as alone");
  const silent = await wasm.embedClip(new Int16Array(speech.length));
  assert.ok(maxRelDiff(b, silent) < 1e-6, "the silent stream saw only silence");
});

E.run();
