/**
 * Wake-word engines over the frozen speech-embedding front end: `trained` (the default: the
 * trained MLP of agent/wake/models/trained.json, reproduced by scripts/train-wake; offline, any
 * voice), optionally with personal templates as a second stage that must agree, and `template`
 * (personal templates alone).
 *
 * The device's front end (embedding.ts) computes features inside process(), so a detection is
 * returned by the call whose frame completes it; a front end that runs in the background (the
 * ONNX one, for tools) returns it by a later call. reset() — on every mic close, so on mute —
 * drops audio and results in flight.
 */
import { readJsonFile } from "../json-file.ts";
import { fileURLToPath } from "node:url";
import { AgentError } from "../errors.ts";
import type { WakeEngine, WakeHit } from "../ports/wake-engine.ts";
import { FRAME_SAMPLES, SAMPLE_RATE_HZ } from "../units.ts";
import { parseWakeModel, WakeDecider, type WakeModel } from "./classifier.ts";
import { MAX_PENDING_CHUNKS, SpeechEmbedder, type FeatureStream, type SpeechFeatures } from "./embedding.ts";
import { TemplateDecider, type Templates } from "./templates.ts";

export const BUNDLED_WAKE_MODEL = fileURLToPath(new URL("./models/trained.json", import.meta.url));

export function loadWakeModel(path = BUNDLED_WAKE_MODEL): WakeModel {
  return parseWakeModel(readJsonFile(path, "WAKE_MODEL_INVALID", "wake model"), path);
}

/** End of embedding i's audio, in ms from the start of the stream (see embedding.ts). */
export const embeddingEndMs = (i: number): number => 80 * (i + 10);

export type TimedHit = WakeHit & { atMs: number };

/**
 * Audio before a stream's start: the live catch-up ring, and the silence detect() puts before a
 * clip. Enough for a full 16-embedding window (2 s), in whole 80 ms steps so times map back exactly.
 */
const CATCH_UP_SAMPLES = SAMPLE_RATE_HZ * 2.4;
/** Silence detect() puts after a clip: the windows that confirm a phrase at its end. */
const DETECT_TAIL_SAMPLES = SAMPLE_RATE_HZ * 1.04;
/** Models keep running this long after the last speech frame, so the window can complete. */
const HANGOVER_FRAMES = Math.ceil((2.0 * 16000) / FRAME_SAMPLES);

/** Turns embeddings into detections (the trained classifier, templates, or both). */
export interface EmbeddingDecider {
  push(embedding: Float32Array, atMs: number): TimedHit | null;
  reset(): void;
}

/**
 * The trained classifier's hits, kept only when the household's templates agree. A hit waits
 * up to PENDING_WINDOWS (400 ms) for the templates to match, since their alignment completes a
 * little after the end of the phrase; no agreement by then vetoes it.
 */
export class TwoStageDecider implements EmbeddingDecider {
  /** Hits of the first stage the second stage turned down. */
  vetoed = 0;
  #pending: { hit: TimedHit; left: number } | null = null;
  readonly first: WakeDecider;
  readonly second: TemplateDecider;
  constructor(first: WakeDecider, second: TemplateDecider) {
    this.first = first;
    this.second = second;
  }
  push(e: Float32Array, atMs: number): TimedHit | null {
    this.second.push(e, atMs);
    const hit = this.first.push(e, atMs);
    // No voiceprint left (all withdrawn or deleted): the trained stage decides alone.
    if (this.second.empty()) return hit;
    if (hit && !this.#pending) this.#pending = { hit, left: PENDING_WINDOWS };
    const p = this.#pending;
    if (!p) return null;
    if (this.second.agrees(p.hit.keyword)) {
      this.#pending = null;
      return { ...p.hit, atMs };
    }
    if (--p.left < 0) {
      this.#pending = null;
      this.vetoed++;
    }
    return null;
  }
  reset(): void {
    this.#pending = null;
    this.first.reset();
    this.second.reset();
  }
}
const PENDING_WINDOWS = 5;

export class EmbeddingWakeEngine implements WakeEngine {
  readonly frameLength = FRAME_SAMPLES;
  readonly #stream: FeatureStream;
  readonly #decider: EmbeddingDecider;
  #hits: TimedHit[] = [];
  #count = 0;
  #error: Error | null = null;
  /** Recent audio for catch-up at speech onset (RAM only, zero-filled on reset). */
  readonly #ring = new Int16Array(CATCH_UP_SAMPLES);
  #ringPos = 0;
  #ringFill = 0;
  /** Frames left before the models go idle again; 0 = idle. */
  #active = 0;
  /** Embeddings computed since creation (for tests and the benchmark). */
  embeddingsComputed = 0;
  /** Times live inference fell more than MAX_PENDING_CHUNKS behind and its backlog was dropped. */
  backlogDrops = 0;

  readonly name: "trained" | "trained+template" | "template";
  private readonly embedder: SpeechFeatures;
  constructor(name: "trained" | "trained+template" | "template", embedder: SpeechFeatures, decider: EmbeddingDecider) {
    this.name = name;
    this.embedder = embedder;
    this.#decider = decider;
    this.#stream = embedder.stream(
      (e) => {
        this.embeddingsComputed++;
        const hit = this.#decider.push(e, embeddingEndMs(this.#count++));
        if (hit) this.#hits.push(hit);
      },
      (e) => (this.#error = e),
    );
  }

  /** The trained classifier; with `secondStage`, a hit also needs the templates to agree. */
  static async trained(modelPath?: string, secondStage?: Templates): Promise<EmbeddingWakeEngine> {
    const model = loadWakeModel(modelPath);
    const first = new WakeDecider(model);
    const embedder = await SpeechEmbedder.shared();
    if (secondStage)
      return new EmbeddingWakeEngine("trained+template", embedder, new TwoStageDecider(first, new TemplateDecider(secondStage, model.refractoryMs)));
    return new EmbeddingWakeEngine("trained", embedder, first);
  }

  /** The household's templates changed (enrolled, deleted, consent withdrawn): used from the next frame. */
  setTemplates(templates: Templates | null): void {
    const d = this.#decider;
    const t = d instanceof TemplateDecider ? d : d instanceof TwoStageDecider ? d.second : null;
    t?.replace(templates ?? {});
  }

  /** Personal templates alone. */
  static async template(templates: Templates): Promise<EmbeddingWakeEngine> {
    return new EmbeddingWakeEngine("template", await SpeechEmbedder.shared(), new TemplateDecider(templates));
  }

  /**
   * Feature extraction runs only around speech: while the VAD hears nothing the models are idle
   * and the audio only enters a short RAM ring. At speech onset the engine restarts from the
   * ring (the last 2.4 s), so the phrase's first syllables are not lost.
   */
  process(frame: Int16Array, speech: boolean): WakeHit | null {
    if (this.#error) {
      const e = this.#error;
      this.#error = null;
      throw new AgentError("WAKE_ENGINE_UNAVAILABLE", `wake-word inference failed: ${e.message}`, { cause: e });
    }
    if (this.#stream.pending >= MAX_PENDING_CHUNKS) {
      // Inference has fallen behind real time: drop the backlog rather than wake on stale audio.
      this.backlogDrops++;
      this.reset();
    }
    this.#remember(frame);
    if (speech) {
      if (this.#active === 0) this.#catchUp();
      else this.#stream.push(frame);
      this.#active = HANGOVER_FRAMES;
    } else if (this.#active > 0) {
      this.#stream.push(frame);
      this.#active--;
    }
    return this.#hits.shift() ?? null;
  }

  #remember(frame: Int16Array): void {
    for (let i = 0; i < frame.length; i++) {
      this.#ring[this.#ringPos] = frame[i]!;
      this.#ringPos = (this.#ringPos + 1) % this.#ring.length;
    }
    this.#ringFill = Math.min(this.#ring.length, this.#ringFill + frame.length);
  }

  /** Restarts the models on the ring's audio (oldest first), which includes the current frame. */
  #catchUp(): void {
    this.#stream.reset();
    this.#decider.reset();
    this.#count = 0;
    const n = this.#ringFill;
    // Right after the microphone opened the ring is not full yet: silence stands in for the rest,
    // so a phrase said at once still has a whole window before its end.
    if (n < this.#ring.length) this.#stream.push(new Int16Array(this.#ring.length - n));
    const start = (this.#ringPos - n + this.#ring.length) % this.#ring.length;
    const tail = this.#ring.subarray(start, Math.min(this.#ring.length, start + n));
    this.#stream.push(tail);
    if (tail.length < n) this.#stream.push(this.#ring.subarray(0, n - tail.length));
  }

  /** Waits until every pushed frame has been scored (tools and tests). */
  async drain(): Promise<TimedHit[]> {
    await this.#stream.drain();
    return this.#hits.splice(0);
  }

  /** Detections in a whole clip, with times from its start (the engine is reset first). */
  async detect(samples: Int16Array): Promise<TimedHit[]> {
    this.reset();
    // Silence around the clip, as a live stream has: the classifier scores a phrase only once a
    // whole window precedes its end and confirms it over the windows after it, so a clip cut
    // tight to the phrase (as synthesisers and editors write them) would never be scored.
    const padded = new Int16Array(CATCH_UP_SAMPLES + samples.length + DETECT_TAIL_SAMPLES);
    padded.set(samples, CATCH_UP_SAMPLES);
    for (let o = 0; o + FRAME_SAMPLES <= padded.length; o += FRAME_SAMPLES) this.#stream.push(padded.subarray(o, o + FRAME_SAMPLES));
    const hits = await this.drain();
    if (this.#error) throw this.#error;
    this.reset();
    const ms = (n: number): number => Math.floor((n * 1000) / SAMPLE_RATE_HZ);
    return hits.map((h) => ({ ...h, atMs: Math.min(ms(samples.length), Math.max(0, h.atMs - ms(CATCH_UP_SAMPLES))) }));
  }

  reset(): void {
    this.#stream.reset();
    this.#decider.reset();
    this.#hits = [];
    this.#count = 0;
    this.#error = null;
    this.#ring.fill(0);
    this.#ringPos = 0;
    this.#ringFill = 0;
    this.#active = 0;
  }

  close(): void {
    this.reset();
    // Release the models once anything in flight has finished; a failure here is not fatal.
    void this.#stream
      .drain()
      .then(() => this.embedder.close())
      .catch(() => undefined);
  }
}
