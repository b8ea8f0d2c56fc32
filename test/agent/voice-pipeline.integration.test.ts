/**
 * The voice pipeline in the real agent (real SQLite, real bridge socket, outbox uploads):
 * raw audio never reaches a file, stored and uploaded audio is modified, the household's
 * training-use choice reaches every upload, and uploads can be switched off.
 */
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readPcm16 } from "../../agent/audio/wav.ts";
import { FakeFirmware } from "../../firmware-bridge/sim/fake-firmware.ts";
import { probes, scanFor, writeCanaryWav } from "../helpers/canary.ts";
import { startAgent, type InProcessAgent } from "../helpers/agent-in-process.ts";
import { sleep, tempDir, until } from "../helpers/tmp.ts";

const V = suite("voice pipeline (real agent)");
let src: ReturnType<typeof tempDir>;
let canaryPath: string;
let raw: Int16Array;
const running: InProcessAgent[] = [];
V.before.each(() => {
  src = tempDir("spa-canary-src-");
  canaryPath = join(src.path, "canary.wav");
  raw = writeCanaryWav(canaryPath, 4);
});
V.after.each(async () => {
  for (const a of running.splice(0)) await a.stop();
  src.remove();
});

async function agentWith(over: Record<string, unknown> = {}): Promise<InProcessAgent> {
  const a = await startAgent({ mode: "near", audio: { source: "file", file: canaryPath, pacing: "realtime", loop: true }, ...over });
  running.push(a);
  return a;
}

/** One push-to-talk capture of about `ms` of audio. */
async function talk(fw: FakeFirmware, ms = 600): Promise<void> {
  await fw.talk("down");
  await fw.waitFor(() => fw.led === "listening", 3000, "listening LED");
  await sleep(ms);
  await fw.talk("up");
}

const outboxFiles = (a: InProcessAgent, ext: string): string[] =>
  readdirSync(join(a.dir, "outbox"))
    .filter((f) => f.endsWith(ext))
    .sort();

V("a captured canary signal leaves no raw trace in the data dir, the outbox or the temp dir", async () => {
  const a = await agentWith();
  const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
  for (let i = 0; i < 3; i++) await talk(fw, 700);
  await a.agent.driver!.settled();
  await a.agent.uploads!.idle();
  await until(() => outboxFiles(a, ".wav").length === 3, 5000, "three uploads in the outbox");
  fw.stop();
  const captures = a.agent.captures!.list();
  assert.is(captures.length, 3);
  assert.ok(captures.every((c) => c.hasAudio && c.anonymization === "mcadams-b2/1" && c.uploadState === "sent"));
  // The stored and uploaded audio is real audio (not silence), but not the raw signal.
  const stored = a.agent.captures!.audio(captures[0]!.id)!;
  assert.ok(stored.length > 16000 * 0.3, `stored ${stored.length} samples`);
  assert.ok(
    stored.some((v) => Math.abs(v) > 1000),
    "the stored audio is not silence",
  );
  const uploaded = readPcm16(readFileSync(join(a.dir, "outbox", outboxFiles(a, ".wav")[0]!)));
  assert.ok(uploaded.some((v) => Math.abs(v) > 1000));

  const needles = probes(raw);
  // The probes are found where the raw signal is (the scanner works) ...
  assert.equal(scanFor(src.path, needles), [canaryPath]);
  // ... and nowhere the agent writes.
  assert.equal(scanFor(join(a.dir, "data"), needles), [], "raw audio in the data dir");
  assert.equal(scanFor(join(a.dir, "outbox"), needles), [], "raw audio in the outbox");
  assert.equal(
    scanFor(tmpdir(), needles, (p) => p.startsWith(src.path) || /spa-canary-src-/.test(p)),
    [],
    "raw audio in the temp dir",
  );
});

V("the household's training-use choice is written into every upload from then on", async () => {
  const a = await agentWith({ privacy: { trainingUse: true } });
  const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
  await talk(fw, 300);
  await a.agent.driver!.settled();
  assert.is((await fw.request({ type: "training-use", allowed: false })).type, "ack");
  await talk(fw, 300);
  await a.agent.driver!.settled();
  await until(() => outboxFiles(a, ".json").length === 2, 5000, "two uploads");
  fw.stop();
  const envs = outboxFiles(a, ".json").map(
    (f) => JSON.parse(readFileSync(join(a.dir, "outbox", f), "utf8")) as { trainingAllowed: boolean; capturedAt: string },
  );
  const byTime = envs.map((e) => e.trainingAllowed).sort();
  assert.equal(byTime, [false, true]);
  assert.is(a.agent.consents!.granted("training"), false, "recorded in the consent registry");
});

V("training-use off in config holds for every upload", async () => {
  const a = await agentWith({ privacy: { trainingUse: false } });
  const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
  await talk(fw, 300);
  await a.agent.driver!.settled();
  await until(() => outboxFiles(a, ".json").length === 1, 5000, "one upload");
  fw.stop();
  const env = JSON.parse(readFileSync(join(a.dir, "outbox", outboxFiles(a, ".json")[0]!), "utf8")) as Record<string, unknown>;
  assert.is(env.trainingAllowed, false);
  assert.equal(Object.keys(env).sort(), [
    "anonymization",
    "capturedAt",
    "durationMs",
    "locale",
    "policyVersion",
    "trainingAllowed",
    "trigger",
    "uploadId",
    "v",
  ]);
  assert.match(String(env.capturedAt), /:00Z$/);
});

V("uploads off: captures are stored (encrypted) and nothing is queued or written to an outbox", async () => {
  const a = await agentWith({ upload: { kind: "off" } });
  const fw = await FakeFirmware.start({ socketPath: a.socketPath, ackDelayMs: 0 });
  await talk(fw, 300);
  await a.agent.driver!.settled();
  fw.stop();
  assert.is(a.agent.uploads, null);
  const [c] = a.agent.captures!.list();
  assert.equal([c!.hasAudio, c!.uploadState, c!.uploadId], [true, "none", null]);
  assert.is(a.agent.captures!.uploads.queued().length, 0);
  assert.match(a.out.join("\n"), /uploads: off/);
});

V.run();
