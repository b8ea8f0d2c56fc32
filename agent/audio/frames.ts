import { FRAME_SAMPLES } from "../units.ts";

/**
 * Cuts a byte stream of s16le samples into fixed frames. Chunks may split samples and frames
 * anywhere; leftovers are kept (at most one frame) and zero-filled on reset.
 */
export class FrameChunker {
  readonly #bytesPerFrame: number;
  readonly #pending: Buffer;
  #fill = 0;

  readonly frameSamples: number;
  constructor(frameSamples: number = FRAME_SAMPLES) {
    this.frameSamples = frameSamples;
    this.#bytesPerFrame = frameSamples * 2;
    this.#pending = Buffer.alloc(this.#bytesPerFrame);
  }

  /** Returns the whole frames completed by this chunk; each is a fresh Int16Array. */
  push(chunk: Buffer): Int16Array[] {
    const out: Int16Array[] = [];
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(this.#bytesPerFrame - this.#fill, chunk.length - off);
      chunk.copy(this.#pending, this.#fill, off, off + take);
      this.#fill += take;
      off += take;
      if (this.#fill === this.#bytesPerFrame) {
        const frame = new Int16Array(this.frameSamples);
        for (let i = 0; i < this.frameSamples; i++) frame[i] = this.#pending.readInt16LE(i * 2);
        out.push(frame);
        this.#fill = 0;
      }
    }
    return out;
  }

  reset(): void {
    this.#pending.fill(0);
    this.#fill = 0;
  }
}

/** Re-chunks frames of one length into blocks of another (VAD wants 480, the pipeline gives 512). */
export class Rechunker {
  readonly #buf: Int16Array;
  #fill = 0;
  readonly blockSamples: number;
  constructor(blockSamples: number) {
    this.blockSamples = blockSamples;
    this.#buf = new Int16Array(blockSamples);
  }
  push(frame: Int16Array, onBlock: (block: Int16Array) => void): void {
    let off = 0;
    while (off < frame.length) {
      const take = Math.min(this.blockSamples - this.#fill, frame.length - off);
      this.#buf.set(frame.subarray(off, off + take), this.#fill);
      this.#fill += take;
      off += take;
      if (this.#fill === this.blockSamples) {
        onBlock(this.#buf);
        this.#fill = 0;
      }
    }
  }
  reset(): void {
    this.#buf.fill(0);
    this.#fill = 0;
  }
}
