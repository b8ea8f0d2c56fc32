/**
 * Voice modification benchmark: the McAdams transform over the demo household recording, on
 * one core, at α = 0.8 — real-time factor (target ≤ 0.01; the reference NumPy implementation
 * of the VoicePrivacy B2 baseline runs at about 0.13) and frames muted by root-finding failure.
 */
import { readFileSync } from "node:fs";
import { readPcm16 } from "../../agent/audio/wav.ts";
import { mcadams, mcadamsPcm16Steps } from "../../agent/privacy/mcadams.ts";

export interface VoiceBench {
  seconds: number;
  rtf: number;
  rtfWorst: number;
  mutedFrames: number;
  /** Longest event-loop stall while the agent's sink modifies a 30 s capture (ms). */
  stallMs: number;
}

/** What the voice sink does with a capture (steps, yielding between), timing the longest step. */
async function stall(x: Int16Array): Promise<number> {
  const it = mcadamsPcm16Steps(x, 0.7);
  let worst = 0;
  for (;;) {
    const t0 = performance.now();
    const r = it.next();
    worst = Math.max(worst, performance.now() - t0);
    if (r.done) return worst;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export async function voiceBench(runs = 5): Promise<VoiceBench> {
  const pcm = readPcm16(readFileSync("agent/audio/demo-household.wav"));
  const x = Float32Array.from(pcm, (v) => v / 32768);
  const seconds = x.length / 16000;
  mcadams(x.subarray(0, 16000), 0.8); // warm-up (JIT)
  const times: number[] = [];
  let muted = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    muted += mcadams(x, 0.5 + (0.4 * i) / Math.max(1, runs - 1)).mutedFrames;
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const thirty = new Int16Array(16000 * 30);
  for (let i = 0; i < thirty.length; i++) thirty[i] = pcm[i % pcm.length]!;
  const stallMs = await stall(thirty);
  return { seconds, rtf: times[Math.floor(times.length / 2)]! / seconds, rtfWorst: times[times.length - 1]! / seconds, mutedFrames: muted, stallMs };
}
