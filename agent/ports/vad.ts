/** Voice activity detector over 512-sample frames; keeps its own state across frames. */
export interface Vad {
  readonly name: string;
  isSpeech(frame: Int16Array): boolean;
  reset(): void;
  close(): void;
}
