/**
 * The shipped wake-word engine on audio it was not trained on: phrases spoken by held-out voice
 * variants, near-miss phrases, the demo recording; through the CLI contract and inside the agent.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readPcm16 } from "../../../agent/audio/wav.ts";
import { createWebRtcVad } from "../../../agent/audio/webrtc-vad.ts";
import { FRAME_SAMPLES } from "../../../agent/units.ts";
import { WakeDecider } from "../../../agent/wake/classifier.ts";
import { EmbeddingWakeEngine, loadWakeModel, type TimedHit } from "../../../agent/wake/embedding-engine.ts";
import { OnnxSpeechEmbedder } from "../../../agent/wake/embedding-onnx.ts";
import { FakeFirmware } from "../../../firmware-bridge/sim/fake-firmware.ts";
import { startAgent } from "../../helpers/agent-in-process.ts";

const DIR = "test/fixtures/audio/wake";
const W = suite("trained wake engine");
let engine: EmbeddingWakeEngine;
W.before(async () => {
  engine = await EmbeddingWakeEngine.trained();
});
W.after(() => engine.close());

const clip = (f: string): Int16Array => readPcm16(readFileSync(join(DIR, f)));
const positives = readdirSync(DIR).filter((f) => f.startsWith("pos-"));
const negatives = readdirSync(DIR).filter((f) => f.startsWith("neg-"));

for (const f of positives) {
  W(`${f}: detected once, as the right keyword, at the end of the phrase`, async () => {
    const hits = await engine.detect(clip(f));
    const want = f.includes("tianmao") ? "天猫精灵" : "你好天猫";
    assert.is(hits.length, 1, JSON.stringify(hits));
    assert.is(hits[0]!.keyword, want);
    // Each fixture has 1.0 s of quiet before the phrase and 0.6 s after it.
    const durMs = (clip(f).length / 16000) * 1000;
    assert.ok(hits[0]!.atMs >= 1000 && hits[0]!.atMs <= durMs + 100, `at ${hits[0]!.atMs} ms of ${durMs}`);
  });
}

for (const f of negatives) {
  W(`${f}: a near-miss does not wake`, async () => {
    assert.equal(await engine.detect(clip(f)), []);
  });
}

/** A positive fixture cut tight to the phrase (sox's silence effect at both ends), as synthesisers write them. */
function tight(f: string): Int16Array {
  const out = join(mkdtempSync(join(tmpdir(), "spa-tight-")), "tight.wav");
  const r = spawnSync("sox", [join(DIR, f), out, "silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%", "reverse"], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  const s = readPcm16(readFileSync(out));
  rmSync(dirname(out), { recursive: true });
  return s;
}

W("a clip cut tight to the phrase (no silence around it) is still detected, within the clip", async () => {
  for (const f of positives) {
    const s = tight(f);
    assert.ok(s.length < clip(f).length - 16000, `${f}: trimmed to ${s.length} samples`);
    const hits = await engine.detect(s);
    assert.equal(
      hits.map((h) => h.keyword),
      [f.includes("tianmao") ? "天猫精灵" : "你好天猫"],
      f,
    );
    assert.ok(hits[0]!.atMs >= 0 && hits[0]!.atMs <= (s.length / 16000) * 1000, `${f}: at ${hits[0]!.atMs} ms`);
  }
});

W("streaming: a phrase said as soon as the microphone opens is still detected", async () => {
  const s = tight(positives[0]!);
  engine.reset();
  const got: TimedHit[] = [];
  const quiet = new Int16Array(FRAME_SAMPLES);
  const keep = (h: TimedHit | null): void => void (h && got.push(h));
  for (let o = 0, n = 0; o + FRAME_SAMPLES <= s.length; o += FRAME_SAMPLES, n++) {
    keep(engine.process(s.subarray(o, o + FRAME_SAMPLES), true) as TimedHit | null);
    if (n % 25 === 0) got.push(...(await engine.drain()));
  }
  for (let k = 0; k < 40; k++) {
    await engine.drain().then((h) => got.push(...h));
    keep(engine.process(quiet, false) as TimedHit | null);
  }
  got.push(...(await engine.drain()));
  engine.reset();
  assert.equal(
    got.map((h) => h.keyword),
    [positives[0]!.includes("tianmao") ? "天猫精灵" : "你好天猫"],
  );
});

W("ordinary speech does not wake", async () => {
  assert.equal(await engine.detect(readPcm16(readFileSync("test/fixtures/audio/speech-16k.wav"))), []);
});

W("the demo recording wakes on both phrases in it, where they are, and nowhere else", async () => {
  // Speech in the demo (scripts/make-demo-audio.sh): 0.5–3.0 s 今天晚上吃什么, 4.7–9.7 s 天猫精灵…,
  // 11.2–13.0 s 好的我去买点菜, 14.5–17.2 s 你好天猫…, 18.7–21.0 s 孩子们该写作业了.
  const hits = await engine.detect(readPcm16(readFileSync("agent/audio/demo-household.wav")));
  assert.is(hits.length, 2, JSON.stringify(hits));
  assert.is(hits[0]!.keyword, "天猫精灵");
  assert.ok(hits[0]!.atMs >= 4700 && hits[0]!.atMs <= 7500, `天猫精灵 at ${hits[0]!.atMs}`);
  assert.is(hits[1]!.keyword, "你好天猫");
  assert.ok(hits[1]!.atMs >= 14500 && hits[1]!.atMs <= 17000, `你好天猫 at ${hits[1]!.atMs}`);
});

W("streaming through process(): the hit comes out of a later process() call", async () => {
  const s = clip(positives[0]!);
  engine.reset();
  const got: TimedHit[] = [];
  for (let o = 0, n = 0; o + FRAME_SAMPLES <= s.length; o += FRAME_SAMPLES, n++) {
    const h = engine.process(s.subarray(o, o + FRAME_SAMPLES), true);
    if (h) got.push(h as TimedHit);
    // Frames come every 32 ms on a device; here they come at once, so let inference keep up
    // (the catch-up at the first frame alone is 2.4 s of audio).
    if (n % 25 === 0) got.push(...(await engine.drain()));
  }
  got.push(...(await engine.drain()));
  engine.reset();
  assert.is(got.length, 1);
});

W("reset() (as on mute) drops audio in flight: no late detection", async () => {
  const s = clip(positives[1]!);
  engine.reset();
  for (let o = 0; o + FRAME_SAMPLES <= s.length; o += FRAME_SAMPLES) engine.process(s.subarray(o, o + FRAME_SAMPLES), true);
  engine.reset();
  assert.equal(await engine.drain(), []);
  assert.is(engine.process(new Int16Array(FRAME_SAMPLES), false), null);
});

W("while the VAD hears no speech the models do not run at all", async () => {
  engine.reset();
  const before = engine.embeddingsComputed;
  const s = clip(positives[0]!);
  for (let o = 0; o + FRAME_SAMPLES <= s.length; o += FRAME_SAMPLES) engine.process(s.subarray(o, o + FRAME_SAMPLES), false);
  assert.equal(await engine.drain(), []);
  assert.is(engine.embeddingsComputed, before);
});

W("gated by the real VAD, a phrase after silence is still detected (catch-up from the ring)", async () => {
  const vad = await createWebRtcVad(2);
  engine.reset();
  const got: TimedHit[] = [];
  for (const f of positives) {
    const s = clip(f);
    for (let o = 0, n = 0; o + FRAME_SAMPLES <= s.length; o += FRAME_SAMPLES, n++) {
      const frame = s.subarray(o, o + FRAME_SAMPLES);
      const h = engine.process(frame, vad.isSpeech(frame));
      if (h) got.push(h as TimedHit);
      // A microphone delivers a frame every 32 ms; let inference keep up as it would.
      if (n % 8 === 7) got.push(...(await engine.drain()));
    }
    // 3 s of silence between phrases lets the models go idle.
    for (let k = 0; k < 94; k++) {
      const z = new Int16Array(FRAME_SAMPLES);
      const h = engine.process(z, vad.isSpeech(z));
      if (h) got.push(h as TimedHit);
    }
    await engine.drain().then((hs) => got.push(...hs));
  }
  vad.close();
  engine.reset();
  assert.is(got.length, positives.length, JSON.stringify(got));
});

W("the device's front end scores inside process(): nothing waits, and the hit comes back from the frame that completes it", async () => {
  engine.reset();
  const s = clip(positives[0]!);
  const hits: Array<{ at: number; keyword: string }> = [];
  const frames = Math.floor(s.length / FRAME_SAMPLES) + 40;
  for (let n = 0; n < frames; n++) {
    const o = n * FRAME_SAMPLES;
    const frame = o + FRAME_SAMPLES <= s.length ? s.subarray(o, o + FRAME_SAMPLES) : new Int16Array(FRAME_SAMPLES);
    const h = engine.process(frame, o < s.length);
    if (h) hits.push({ at: n, keyword: h.keyword });
  }
  assert.is((await engine.drain()).length, 0, "nothing left for drain()");
  assert.is(hits.length, 1, JSON.stringify(hits));
  engine.reset();
});

W("a front end that runs in the background (onnxruntime) and falls behind drops its backlog instead of waking late", async () => {
  const onnx = new EmbeddingWakeEngine("trained", await OnnxSpeechEmbedder.load(), new WakeDecider(loadWakeModel()));
  const s = clip(positives[0]!);
  // Ten copies of a clip pushed at once: far more than 3.2 s waiting for inference.
  for (let k = 0; k < 10; k++) for (let o = 0; o + FRAME_SAMPLES <= s.length; o += FRAME_SAMPLES) onnx.process(s.subarray(o, o + FRAME_SAMPLES), true);
  await onnx.drain();
  assert.ok(onnx.backlogDrops > 0);
  onnx.close();
});

W("spa wake detect: one JSON line per detection; a bad file is a clear error", () => {
  const ok = spawnSync(process.execPath, ["bin/spa.mjs", "wake", "detect", join(DIR, "pos-tianmao-f5.wav"), join(DIR, "neg-nihaoya-f1.wav")], {
    encoding: "utf8",
  });
  assert.is(ok.status, 0, ok.stderr);
  const lines = ok.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.is(lines.length, 1);
  assert.equal(Object.keys(lines[0]!).sort(), ["atMs", "file", "keyword", "score"]);
  assert.is(lines[0]!.keyword, "天猫精灵");
  const notWav = join(mkdtempSync(join(tmpdir(), "spa-detect-")), "notes.wav");
  writeFileSync(notWav, "not audio\n");
  const bad = spawnSync(process.execPath, ["bin/spa.mjs", "wake", "detect", notWav], { encoding: "utf8" });
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /not a RIFF\/WAVE file/);
  assert.is(bad.stdout, "");
  rmSync(dirname(notWav), { recursive: true });
});

W("spa wake detect converts other WAV layouts (44.1 kHz stereo here) and finds the same wake", () => {
  const dir = mkdtempSync(join(tmpdir(), "spa-detect-"));
  try {
    const file = join(dir, "tianmao-44k-stereo.wav");
    const sox = spawnSync("sox", [join(DIR, "pos-tianmao-f5.wav"), "-r", "44100", "-c", "2", file], { encoding: "utf8" });
    assert.is(sox.status, 0, sox.stderr);
    const r = (f: string): Array<{ keyword: string; atMs: number }> => {
      const p = spawnSync(process.execPath, ["bin/spa.mjs", "wake", "detect", f], { encoding: "utf8" });
      assert.is(p.status, 0, p.stderr);
      return p.stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { keyword: string; atMs: number });
    };
    const native = r(join(DIR, "pos-tianmao-f5.wav"));
    const converted = r(file);
    assert.equal(
      converted.map((h) => h.keyword),
      native.map((h) => h.keyword),
    );
    assert.equal(
      converted.map((h) => h.keyword),
      ["天猫精灵"],
    );
    assert.ok(Math.abs(converted[0]!.atMs - native[0]!.atMs) <= 160, `${converted[0]!.atMs} vs ${native[0]!.atMs} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

W("in the agent: far-field on the demo recording opens a wake session", async () => {
  const a = await startAgent({
    wake: { engine: "trained" },
    audio: { source: "file", file: "agent/audio/demo-household.wav", pacing: "realtime", loop: false },
  });
  const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
  try {
    await fw.waitFor(() => fw.state?.state === "capturing" && fw.state.trigger === "wake", 20_000, "a wake session (the first phrase ends about 6 s in)");
  } finally {
    fw.stop();
    await a.stop();
  }
});

W.run();
