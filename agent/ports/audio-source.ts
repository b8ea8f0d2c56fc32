/**
 * A source of 16 kHz mono s16 audio, delivered as 512-sample frames.
 * `open()` resolves once the source runs; `close()` resolves only when the underlying
 * recorder (if any) is gone. Frames are owned by the receiver once delivered.
 */
export interface AudioSource {
  readonly kind: "mic" | "file" | "memory";
  open(): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
  /** Pid of the recorder process while open (mic sources only). */
  readonly pid: number | undefined;
  onFrame(fn: (frame: Int16Array) => void): void;
  /** Unexpected failure while open: recorder died, file unreadable. Never called after close(). */
  onError(fn: (err: Error) => void): void;
}
