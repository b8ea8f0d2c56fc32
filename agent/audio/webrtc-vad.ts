/**
 * WebRTC VAD (libfvad compiled to WASM, @echogarden/fvad-wasm). libfvad takes 10/20/30 ms
 * blocks; the pipeline's 512-sample frames are re-chunked into 480-sample (30 ms) blocks, and a
 * frame counts as speech when any block completed in it is speech.
 */
import fvad from "@echogarden/fvad-wasm";
import { AgentError } from "../errors.ts";
import type { Vad } from "../ports/vad.ts";
import { SAMPLE_RATE_HZ } from "../units.ts";
import { Rechunker } from "./frames.ts";

const BLOCK = 480;

interface FvadModule {
  _fvad_new(): number;
  _fvad_free(h: number): void;
  _fvad_reset(h: number): void;
  _fvad_set_mode(h: number, mode: number): number;
  _fvad_set_sample_rate(h: number, rate: number): number;
  _fvad_process(h: number, ptr: number, n: number): number;
  _malloc(n: number): number;
  _free(p: number): void;
  HEAP16: Int16Array;
}

/** aggressiveness: 0 (least) to 3 (most eager to call audio non-speech). */
export async function createWebRtcVad(aggressiveness: 0 | 1 | 2 | 3): Promise<Vad> {
  const m = (await (fvad as unknown as () => Promise<FvadModule>)()) as FvadModule;
  const h = m._fvad_new();
  if (!h) throw new AgentError("INTERNAL", "libfvad: fvad_new failed");
  if (m._fvad_set_mode(h, aggressiveness) !== 0 || m._fvad_set_sample_rate(h, SAMPLE_RATE_HZ) !== 0) {
    throw new AgentError("INTERNAL", "libfvad rejected its settings");
  }
  const ptr = m._malloc(BLOCK * 2);
  const chunker = new Rechunker(BLOCK);
  let closed = false;
  return {
    name: "webrtc",
    isSpeech(frame: Int16Array): boolean {
      if (closed) return false;
      let speech = false;
      chunker.push(frame, (block) => {
        m.HEAP16.set(block, ptr >> 1);
        const r = m._fvad_process(h, ptr, BLOCK);
        if (r < 0) throw new AgentError("INTERNAL", "libfvad: invalid frame");
        if (r === 1) speech = true;
      });
      return speech;
    },
    reset(): void {
      chunker.reset();
      if (!closed) {
        m.HEAP16.fill(0, ptr >> 1, (ptr >> 1) + BLOCK);
        m._fvad_reset(h);
        m._fvad_set_mode(h, aggressiveness);
        m._fvad_set_sample_rate(h, SAMPLE_RATE_HZ);
      }
    },
    close(): void {
      if (closed) return;
      closed = true;
      m.HEAP16.fill(0, ptr >> 1, (ptr >> 1) + BLOCK);
      m._free(ptr);
      m._fvad_free(h);
    },
  };
}
