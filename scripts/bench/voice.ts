/**
 * Voice modification benchmark: the McAdams transform over 68 s of speech (the demo household
 * recording three times), one core — real-time factor (target ≤ 0.01; the reference NumPy
 * implementation of the VoicePrivacy B2 baseline runs at about 0.13) and frames muted by
 * root-finding failure; the longest event-loop stall while a capture is modified; and the
 * whole per-session pipeline (session end → upload queued) through a real ledger file.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cryptoUniform } from "../../agent/adapters/crypto-random.ts";
import { openAgentDb } from "../../agent/ledger/agent-db.ts";
import { CaptureStore } from "../../agent/ledger/captures.ts";
import { silentLogger } from "../../agent/log.ts";
import { VoiceSink } from "../../agent/session/voice-sink.ts";
import { Timestamp } from "../../agent/units.ts";
import { readPcm16 } from "../../agent/audio/wav.ts";
import { mcadams, mcadamsPcm16Steps } from "../../agent/privacy/mcadams.ts";
import { median } from "./stats.ts";

export interface VoiceBench {
  seconds: number;
  rtf: number;
  rtfWorst: number;
  mutedFrames: number;
  /** Longest event-loop stall while the agent's sink modifies a 30 s capture (ms). */
  stallMs: number;
  /** Session end → upload queued, through the real VoiceSink and a real ledger file (ms), per session length. */
  pipelineMs: Array<{ seconds: number; ms: number }>;
}

/** The agent's own path for a finished session: modify, wipe, encrypt, store, queue (fsync'd). */
async function pipeline(pcm: Int16Array, seconds: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "spa-bench-voice-"));
  const db = openAgentDb(join(dir, "agent.db"));
  try {
    const store = new CaptureStore(db);
    const sink = new VoiceSink({
      store,
      log: silentLogger,
      random: cryptoUniform,
      alphaRange: () => [0.5, 0.9],
      uploadsOn: () => true,
      trainingAllowed: () => true,
      policyVersion: () => 0,
      locale: "zh-CN",
      queueMax: 500,
      birth: (t) => ({ wall: t, uptime: 0 }),
    });
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      const audio = new Int16Array(16000 * seconds);
      for (let i = 0; i < audio.length; i++) audio[i] = pcm[(i + run * 777) % pcm.length]!;
      const t0 = performance.now();
      await sink.keep(
        {
          id: run,
          trigger: "wake",
          keyword: "天猫精灵",
          startedAt: Timestamp(Date.now()),
          endedAt: Timestamp(Date.now()),
          frames: Math.round((seconds * 1000) / 32),
          endReason: "silence",
        },
        audio,
      );
      times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
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
  // At least 60 s of speech: the demo recording three times over.
  const x = new Float32Array(pcm.length * 3);
  for (let i = 0; i < x.length; i++) x[i] = pcm[i % pcm.length]! / 32768;
  const seconds = x.length / 16000;
  mcadams(x.subarray(0, 16000), 0.8); // warm-up (JIT)
  const times: number[] = [];
  let muted = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    muted += mcadams(x, 0.5 + (0.4 * i) / Math.max(1, runs - 1)).mutedFrames;
    times.push((performance.now() - t0) / 1000);
  }
  const thirty = new Int16Array(16000 * 30);
  for (let i = 0; i < thirty.length; i++) thirty[i] = pcm[i % pcm.length]!;
  const stallMs = await stall(thirty);
  const pipelineMs = [];
  for (const s of [3, 10, 30]) pipelineMs.push({ seconds: s, ms: await pipeline(pcm, s) });
  return { seconds, rtf: median(times) / seconds, rtfWorst: Math.max(...times) / seconds, mutedFrames: muted, stallMs, pipelineMs };
}
