export const KEYWORDS = ["天猫精灵", "你好天猫"] as const;
export type Keyword = (typeof KEYWORDS)[number];

export interface WakeHit {
  keyword: Keyword;
  score: number;
}

/**
 * On-device wake-word detector. `process` takes exactly `frameLength` samples; `speech` is the
 * VAD's verdict on the frame, which lets an engine skip its models while nobody speaks.
 */
export interface WakeEngine {
  readonly name: string;
  readonly frameLength: number;
  process(frame: Int16Array, speech: boolean): WakeHit | null;
  reset(): void;
  close(): void;
}
