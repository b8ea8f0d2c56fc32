export const KEYWORDS = ["天猫精灵", "你好天猫"] as const;
export type Keyword = (typeof KEYWORDS)[number];

export interface WakeHit {
  keyword: Keyword;
  score: number;
}

/** On-device wake-word detector. `process` takes exactly `frameLength` samples. */
export interface WakeEngine {
  readonly name: string;
  readonly frameLength: number;
  process(frame: Int16Array): WakeHit | null;
  reset(): void;
  close(): void;
}
