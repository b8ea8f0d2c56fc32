/** A VAD by frame energy: speech when RMS is above a threshold. Passes the VAD contract. */
import type { Vad } from "../../agent/ports/vad.ts";

export class EnergyVad implements Vad {
  readonly name = "energy";
  readonly rmsThreshold: number;
  constructor(rmsThreshold = 500) {
    this.rmsThreshold = rmsThreshold;
  }
  isSpeech(frame: Int16Array): boolean {
    let sum = 0;
    for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
    return Math.sqrt(sum / frame.length) > this.rmsThreshold;
  }
  reset(): void {}
  close(): void {}
}
