/**
 * The bridge's framing, shared by the agent and its clients: one JSON message per line, at most
 * MAX_LINE_BYTES (bounded, so a runaway peer cannot exhaust memory). Nothing here validates
 * messages (codec.ts does, with the schema), so a client loads no schema library.
 */
import type { AgentMessage } from "./messages.ts";

export const PROTOCOL_VERSION = 1;
export const MAX_LINE_BYTES = 4096;

export type LineEvent = { kind: "line"; line: string } | { kind: "too-long" };

export class LineSplitter {
  #parts: Buffer[] = [];
  #size = 0;
  #discarding = false;

  readonly maxBytes: number;
  constructor(maxBytes: number = MAX_LINE_BYTES) {
    this.maxBytes = maxBytes;
  }

  push(chunk: Buffer): LineEvent[] {
    const out: LineEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (!this.#discarding) {
        if (this.#size + piece.length > this.maxBytes) {
          this.#discarding = true;
          this.#parts = [];
          this.#size = 0;
          out.push({ kind: "too-long" });
        } else if (piece.length) {
          this.#parts.push(Buffer.from(piece));
          this.#size += piece.length;
        }
      }
      if (nl === -1) break;
      if (!this.#discarding) {
        const line = Buffer.concat(this.#parts).toString("utf8").replace(/\r$/, "");
        if (line.trim().length) out.push({ kind: "line", line });
      }
      this.#parts = [];
      this.#size = 0;
      this.#discarding = false;
      start = nl + 1;
    }
    return out;
  }
}

export const encode = (m: AgentMessage | Record<string, unknown>): string => JSON.stringify(m) + "\n";
