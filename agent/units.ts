/** Branded units: a Millis cannot be passed where a Timestamp or a frame count is expected. */
declare const brand: unique symbol;
type Branded<T, B extends string> = T & { readonly [brand]: B };

/** A duration in milliseconds. */
export type Millis = Branded<number, "Millis">;
/** Wall-clock time, milliseconds since the Unix epoch. */
export type Timestamp = Branded<number, "Timestamp">;

export const Millis = (n: number): Millis => n as Millis;
export const Timestamp = (n: number): Timestamp => n as Timestamp;
export const addMillis = (t: Timestamp, d: Millis): Timestamp => (t + d) as Timestamp;

export const SAMPLE_RATE_HZ = 16000;
/** Pipeline frame: 512 samples = 32 ms at 16 kHz (Porcupine's frame length). */
export const FRAME_SAMPLES = 512;
export const FRAME_MS = (FRAME_SAMPLES * 1000) / SAMPLE_RATE_HZ;
/** Whole frames needed to cover a duration (rounded up, at least 1). */
export const framesFor = (d: Millis): number => Math.max(1, Math.ceil(d / FRAME_MS));
