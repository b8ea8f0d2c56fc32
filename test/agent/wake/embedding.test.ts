/** The speech-embedding front end on the real ONNX models. */
import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readPcm16 } from "../../../agent/audio/wav.ts";
import { CHUNK_SAMPLES, EMBED_DIM, SpeechEmbedder, StreamingEmbedder } from "../../../agent/wake/embedding.ts";
import { FRAME_SAMPLES } from "../../../agent/units.ts";

const E = suite("speech embedding front end");
const speech = readPcm16(readFileSync("test/fixtures/audio/speech-16k.wav"));
let embedder: SpeechEmbedder;
E.before(async () => {
  embedder = await SpeechEmbedder.load();
});
E.after(async () => {
  await embedder.close();
});

E("one finite 96-dim embedding per 80 ms once 76 mel frames exist", async () => {
  const embs = await embedder.embedClip(speech);
  const chunks = Math.floor(speech.length / CHUNK_SAMPLES);
  // 76 mel frames need 10 chunks of 8 frames; then one embedding per chunk.
  assert.is(embs.length, chunks - 9, `${embs.length} embeddings for ${chunks} chunks`);
  for (const e of embs) {
    assert.is(e.length, EMBED_DIM);
    assert.ok(e.every(Number.isFinite));
  }
});

E("feeding 512-sample frames gives the same embeddings as one push of the whole clip", async () => {
  const offline = await embedder.embedClip(speech);
  const streamed: Float32Array[] = [];
  const s = new StreamingEmbedder(
    embedder,
    (e) => streamed.push(e),
    (e) => assert.unreachable(e.message),
  );
  for (let o = 0; o + FRAME_SAMPLES <= speech.length; o += FRAME_SAMPLES) s.push(speech.slice(o, o + FRAME_SAMPLES));
  await s.drain();
  assert.is(streamed.length, offline.length);
  for (let i = 0; i < streamed.length; i++) {
    const d = Math.max(...streamed[i]!.map((v, k) => Math.abs(v - offline[i]![k]!)));
    assert.ok(d < 1e-3, `embedding ${i} differs by ${d}`);
  }
});

E("speech and silence give clearly different embeddings", async () => {
  const silent = await embedder.embedClip(new Int16Array(16000 * 2));
  const talk = await embedder.embedClip(speech);
  const dist = (a: Float32Array, b: Float32Array): number => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
  const mid = talk[Math.floor(talk.length / 2)]!;
  assert.ok(dist(silent[0]!, silent.at(-1)!) < dist(silent[0]!, mid) / 4, "silence is stable, speech is far from it");
});

E("reset() drops audio in flight: nothing from before it is emitted after", async () => {
  const got: Float32Array[] = [];
  const s = new StreamingEmbedder(
    embedder,
    (e) => got.push(e),
    () => undefined,
  );
  for (let o = 0; o + FRAME_SAMPLES <= speech.length; o += FRAME_SAMPLES) s.push(speech.slice(o, o + FRAME_SAMPLES));
  s.reset();
  await s.drain();
  assert.is(got.length, 0);
});

E.run();
