/**
 * The default wake-word engine: the frozen speech-embedding front end plus the trained MLP
 * (agent/wake/models/trained.json, reproduced by scripts/train-wake). Works offline, for any voice.
 *
 * The WakeEngine port is synchronous, but ONNX inference is not: audio is pushed on, models run
 * in the background, and a detection is returned by the next process() call after it was made
 * (one 32 ms frame later at most, plus inference time). reset() — on every mic close, so on mute —
 * drops audio and results in flight.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AgentError, toError } from "../errors.ts";
import type { WakeEngine, WakeHit } from "../ports/wake-engine.ts";
import { FRAME_SAMPLES } from "../units.ts";
import { parseWakeModel, WakeDecider, type WakeModel } from "./classifier.ts";
import { SpeechEmbedder, StreamingEmbedder } from "./embedding.ts";

export const BUNDLED_WAKE_MODEL = fileURLToPath(new URL("./models/trained.json", import.meta.url));

export function loadWakeModel(path = BUNDLED_WAKE_MODEL): WakeModel {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new AgentError("WAKE_MODEL_INVALID", `cannot read wake model ${path}: ${toError(e).message}`, { cause: e });
  }
  return parseWakeModel(raw, path);
}

/** End of embedding i's audio, in ms from the start of the stream (see embedding.ts). */
export const embeddingEndMs = (i: number): number => 80 * (i + 10);

export type TimedHit = WakeHit & { atMs: number };

export class TrainedWakeEngine implements WakeEngine {
  readonly name = "trained";
  readonly frameLength = FRAME_SAMPLES;
  readonly #stream: StreamingEmbedder;
  readonly #decider: WakeDecider;
  #hits: TimedHit[] = [];
  #count = 0;
  #error: Error | null = null;

  private constructor(
    private readonly embedder: SpeechEmbedder,
    readonly model: WakeModel,
  ) {
    this.#decider = new WakeDecider(model);
    this.#stream = new StreamingEmbedder(
      embedder,
      (e) => {
        const hit = this.#decider.push(e, embeddingEndMs(this.#count++));
        if (hit) this.#hits.push(hit);
      },
      (e) => (this.#error = e),
    );
  }

  static async create(modelPath?: string): Promise<TrainedWakeEngine> {
    const model = loadWakeModel(modelPath);
    return new TrainedWakeEngine(await SpeechEmbedder.load(), model);
  }

  process(frame: Int16Array): WakeHit | null {
    if (this.#error) {
      const e = this.#error;
      this.#error = null;
      throw new AgentError("WAKE_ENGINE_UNAVAILABLE", `wake-word inference failed: ${e.message}`, { cause: e });
    }
    this.#stream.push(frame);
    return this.#hits.shift() ?? null;
  }

  /** Waits until every pushed frame has been scored (tools and tests). */
  async drain(): Promise<TimedHit[]> {
    await this.#stream.drain();
    return this.#hits.splice(0);
  }

  /** Detections in a whole clip, with times from its start (the engine is reset first). */
  async detect(samples: Int16Array): Promise<TimedHit[]> {
    this.reset();
    for (let o = 0; o + FRAME_SAMPLES <= samples.length; o += FRAME_SAMPLES) this.#stream.push(samples.subarray(o, o + FRAME_SAMPLES));
    const hits = await this.drain();
    if (this.#error) throw this.#error;
    this.reset();
    return hits;
  }

  reset(): void {
    this.#stream.reset();
    this.#decider.reset();
    this.#hits = [];
    this.#count = 0;
  }

  close(): void {
    this.reset();
    void this.embedder.close();
  }
}
