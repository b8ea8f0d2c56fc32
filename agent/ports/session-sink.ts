import type { Timestamp } from "../units.ts";
import type { Keyword } from "./wake-engine.ts";

export interface KeptSession {
  id: number;
  trigger: "wake" | "talk";
  keyword?: Keyword;
  startedAt: Timestamp;
  endedAt: Timestamp;
  frames: number;
  endReason: string;
}

/**
 * Where a finished, kept session goes. The sink owns `audio` and must zero-fill it once done:
 * raw audio never outlives the call in any form the sink did not deliberately transform.
 */
export interface SessionSink {
  keep(session: KeptSession, audio: Int16Array): Promise<void>;
}
