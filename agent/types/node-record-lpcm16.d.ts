// node-record-lpcm16 ships no types; this covers the part the mic adapter uses.
declare module "node-record-lpcm16" {
  import type { ChildProcess } from "node:child_process";
  import type { Readable } from "node:stream";
  export interface RecordOptions {
    sampleRate?: number;
    channels?: number;
    recorder?: "arecord" | "sox" | "rec";
    device?: string;
    audioType?: "raw" | "wav";
    threshold?: number;
  }
  export interface Recording {
    process: ChildProcess;
    stream(): Readable;
    stop(): void;
  }
  const pkg: { record(options?: RecordOptions): Recording };
  export default pkg;
}
