/** A wake engine that fires on chosen frame numbers (counting frames it was given). */
import type { Keyword, WakeEngine, WakeHit } from "../../agent/ports/wake-engine.ts";
import { FRAME_SAMPLES } from "../../agent/units.ts";

export class ScriptedWake implements WakeEngine {
  readonly name = "scripted";
  readonly frameLength = FRAME_SAMPLES;
  frames = 0;
  readonly hitsAt: Set<number>;
  readonly keyword: Keyword;
  constructor(hitsAt: Set<number> = new Set(), keyword: Keyword = "天猫精灵") {
    this.hitsAt = hitsAt;
    this.keyword = keyword;
  }
  process(frame: Int16Array, _speech: boolean): WakeHit | null {
    if (frame.length !== this.frameLength) throw new Error(`wake engine got ${frame.length} samples`);
    const n = this.frames++;
    return this.hitsAt.has(n) ? { keyword: this.keyword, score: 1 } : null;
  }
  reset(): void {}
  close(): void {}
}
