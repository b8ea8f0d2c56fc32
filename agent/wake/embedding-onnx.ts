/**
 * The same speech-embedding front end run on onnxruntime-node (a development dependency): the
 * training script builds its scenes with it, so the shipped classifier stays reproducible bit for
 * bit from the same features it was trained on; tests check that the device's front end
 * (embedding.ts, WebAssembly) gives the same embeddings. Not loaded by the agent.
 */
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { AgentError, toError } from "../errors.ts";
import {
  CHUNK_SAMPLES,
  CONTEXT_SAMPLES,
  defaultModelDir,
  EMBED_DIM,
  MEL_BINS,
  MEL_STEP,
  WINDOW_MEL_FRAMES,
  type FeatureStream,
  type SpeechFeatures,
} from "./embedding.ts";

/** Both models run single-threaded: the speaker has few cores and other work to do. */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all" };

export class OnnxSpeechEmbedder implements SpeechFeatures {
  readonly kind = "onnx";
  private readonly mel: ort.InferenceSession;
  private readonly emb: ort.InferenceSession;
  private constructor(mel: ort.InferenceSession, emb: ort.InferenceSession) {
    this.mel = mel;
    this.emb = emb;
  }

  /** Loads both models (SESSION_OPTIONS). */
  static async load(modelDir = defaultModelDir()): Promise<OnnxSpeechEmbedder> {
    try {
      const mel = await ort.InferenceSession.create(join(modelDir, "melspectrogram.onnx"), SESSION_OPTIONS);
      const emb = await ort.InferenceSession.create(join(modelDir, "embedding_model.onnx"), SESSION_OPTIONS);
      return new OnnxSpeechEmbedder(mel, emb);
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
    const s = this.stream(
      (e) => out.push(e),
      (e) => (failure = e),
    );
    s.push(samples);
    await s.drain();
    if (failure) throw failure;
    return out;
  }

  stream(onEmbedding: (e: Float32Array) => void, onError: (e: Error) => void): StreamingEmbedder {
    return new StreamingEmbedder(this, onEmbedding, onError);
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
export class StreamingEmbedder implements FeatureStream {
  readonly #raw = new Float32Array(CONTEXT_SAMPLES + CHUNK_SAMPLES);
  #fill = CONTEXT_SAMPLES;
  #mel: Float32Array[] = [];
  #queue: Promise<void> = Promise.resolve();
  #generation = 0;
  #pending = 0;

  private readonly embedder: OnnxSpeechEmbedder;
  private readonly onEmbedding: (e: Float32Array) => void;
  private readonly onError: (e: Error) => void;
  constructor(embedder: OnnxSpeechEmbedder, onEmbedding: (e: Float32Array) => void, onError: (e: Error) => void) {
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
