/**
 * Reads gpio-keys buttons from a Linux input device (/dev/input/eventN). Each event is a
 * 24-byte struct input_event on 64-bit kernels: struct timeval (2 × 8 bytes), u16 type,
 * u16 code, s32 value. Only EV_KEY events for the configured codes matter: value 1 = down,
 * 0 = up, 2 = autorepeat (ignored).
 */
import { createReadStream, type ReadStream } from "node:fs";
import { AgentError } from "../agent/errors.ts";

export const INPUT_EVENT_BYTES = 24;
export const EV_KEY = 1;
export const KEY_MICMUTE = 248;
export const KEY_VOICECOMMAND = 582;

export interface KeyEvent {
  code: number;
  action: "down" | "up";
}

/** Pure decoder: bytes in, key events out; keeps a partial record between chunks. */
export class InputEventDecoder {
  #rest: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): KeyEvent[] {
    const buf = this.#rest.length ? Buffer.concat([this.#rest, chunk]) : chunk;
    const out: KeyEvent[] = [];
    let off = 0;
    for (; off + INPUT_EVENT_BYTES <= buf.length; off += INPUT_EVENT_BYTES) {
      const type = buf.readUInt16LE(off + 16);
      const code = buf.readUInt16LE(off + 18);
      const value = buf.readInt32LE(off + 20);
      if (type === EV_KEY && (value === 0 || value === 1)) out.push({ code, action: value === 1 ? "down" : "up" });
    }
    this.#rest = Buffer.from(buf.subarray(off));
    return out;
  }
}

export function encodeInputEvent(type: number, code: number, value: number, timeMs = 0): Buffer {
  const b = Buffer.alloc(INPUT_EVENT_BYTES);
  b.writeBigInt64LE(BigInt(Math.floor(timeMs / 1000)), 0);
  b.writeBigInt64LE(BigInt((timeMs % 1000) * 1000), 8);
  b.writeUInt16LE(type, 16);
  b.writeUInt16LE(code, 18);
  b.writeInt32LE(value, 20);
  return b;
}

export class EvdevButtons {
  #stream: ReadStream | null = null;
  readonly device: string;
  readonly onKey: (e: KeyEvent) => void;
  readonly onError: (e: Error) => void;
  constructor(device: string, onKey: (e: KeyEvent) => void, onError: (e: Error) => void) {
    this.device = device;
    this.onKey = onKey;
    this.onError = onError;
  }

  start(): Promise<void> {
    const decoder = new InputEventDecoder();
    return new Promise((resolve, reject) => {
      const s = createReadStream(this.device, { highWaterMark: INPUT_EVENT_BYTES * 64 });
      s.once("open", () => {
        this.#stream = s;
        resolve();
      });
      s.on("data", (chunk) => {
        for (const ev of decoder.push(chunk as Buffer)) this.onKey(ev);
      });
      s.on("error", (e) => {
        const err = new AgentError("BUTTONS_UNAVAILABLE", `cannot read buttons from ${this.device}: ${e.message}`, { cause: e });
        if (this.#stream) this.onError(err);
        else reject(err);
      });
    });
  }

  stop(): void {
    this.#stream?.destroy();
    this.#stream = null;
  }
}
