/** Upload envelope, endpoint rules, and the queue worker on virtual time with a real SQLite ledger. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isAgentError } from "../../../agent/errors.ts";
import { openAgentDb, type Db } from "../../../agent/ledger/agent-db.ts";
import { CaptureStore } from "../../../agent/ledger/captures.ts";
import { silentLogger } from "../../../agent/log.ts";
import type { Uploader } from "../../../agent/ports/uploader.ts";
import { makeEnvelope, toMinute, UploadEnvelopeSchema, type UploadEnvelope } from "../../../agent/upload/envelope.ts";
import { checkEndpoint } from "../../../agent/upload/https-uploader.ts";
import { backoffMs, UploadWorker } from "../../../agent/upload/worker.ts";
import { FakeClock } from "../../fakes/fake-clock.ts";

const E = suite("upload envelope and endpoint");

const base = {
  capturedAt: Date.UTC(2026, 10, 26, 9, 41, 37, 512),
  durationMs: 2345,
  trigger: "wake" as const,
  locale: "zh-CN",
  trainingAllowed: true,
  anonymization: { method: "mcadams-b2" as const, version: 1 },
  policyVersion: 3,
};

E("capture time is coarsened to the minute, duration to 100 ms, ids are fresh per upload", () => {
  const a = makeEnvelope(base);
  const b = makeEnvelope(base);
  assert.is(a.capturedAt, "2026-11-26T09:41:00Z");
  assert.is(a.durationMs, 2300);
  assert.is.not(a.uploadId, b.uploadId);
  assert.is(toMinute(Date.UTC(2026, 0, 1, 0, 0, 59, 999)), "2026-01-01T00:00:00Z");
});

E("the envelope schema is strict: an extra field (say a device id) fails validation", () => {
  const e = makeEnvelope(base);
  assert.ok(UploadEnvelopeSchema.safeParse(e).success);
  assert.not.ok(UploadEnvelopeSchema.safeParse({ ...e, deviceId: "abc" }).success);
  assert.not.ok(UploadEnvelopeSchema.safeParse({ ...e, capturedAt: "2026-11-26T09:41:37Z" }).success);
});

E("endpoints: https required except on loopback; host must be allowlisted; no credentials in URLs", () => {
  const refused = (url: string, hosts: string[]): boolean => {
    try {
      checkEndpoint(url, hosts);
      return false;
    } catch (e) {
      return isAgentError(e, "UPLOAD_ENDPOINT_REFUSED");
    }
  };
  assert.not.ok(refused("https://up.example.com/v1", ["up.example.com"]));
  assert.not.ok(refused("http://127.0.0.1:8080/v1", ["127.0.0.1"]));
  assert.ok(refused("http://up.example.com/v1", ["up.example.com"]), "plain http off loopback");
  assert.ok(refused("https://evil.example.com/v1", ["up.example.com"]), "host not allowlisted");
  assert.ok(refused("https://up.example.com/v1", []), "empty allowlist");
  assert.ok(refused("https://user:pw@up.example.com/v1", ["up.example.com"]), "credentials in URL");
  assert.ok(refused("ftp://up.example.com/", ["up.example.com"]));
  assert.ok(refused("not a url", ["x"]));
});

E("backoff doubles per attempt, is capped, and jitters ±50 %", () => {
  assert.is(backoffMs(0, 1000, 60_000, 0.5), 1000);
  assert.is(backoffMs(3, 1000, 60_000, 0.5), 8000);
  assert.is(backoffMs(20, 1000, 60_000, 0.5), 60_000);
  assert.is(backoffMs(0, 1000, 60_000, 0), 500);
  assert.is(backoffMs(0, 1000, 60_000, 0.999999), 1500);
});

E.run();

const W = suite("upload worker (virtual time, real SQLite)");
let db: Db;
let store: CaptureStore;
let clock: FakeClock;
W.before.each(() => {
  db = openAgentDb(":memory:");
  store = new CaptureStore(db);
  clock = new FakeClock();
});
W.after.each(() => {
  db.close();
});

class FlakyUploader implements Uploader {
  readonly name = "flaky";
  readonly got: Array<{ envelope: UploadEnvelope; wav: Buffer }> = [];
  public failuresLeft: number;
  constructor(failuresLeft: number) {
    this.failuresLeft = failuresLeft;
  }
  async send(envelope: UploadEnvelope, wav: Buffer): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error("HTTP 503");
    }
    this.got.push({ envelope, wav: Buffer.from(wav) });
  }
  readonly deleted: string[] = [];
  async requestDeletion(uploadId: string): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error("HTTP 503");
    }
    this.deleted.push(uploadId);
  }
}

function queueOne(at: number): string {
  const env = makeEnvelope({ ...base, capturedAt: at });
  store.insert(
    {
      trigger: "wake",
      keyword: null,
      startedAt: at,
      endedAt: at + 2000,
      durationMs: 2000,
      endReason: "silence",
      policyVersion: 0,
      anonymization: "mcadams-b2/1",
      capturedWall: at,
      capturedUptime: 0,
    },
    Int16Array.from({ length: 1600 }, (_, i) => i),
    { uploadId: env.uploadId, envelope: JSON.stringify(env), at },
  );
  return env.uploadId;
}

async function step(w: UploadWorker, ms: number): Promise<void> {
  clock.advance(ms);
  await w.idle();
}

W("failed sends are retried on the backoff schedule, then delivered once, in queue order", async () => {
  const up = new FlakyUploader(3);
  const w = new UploadWorker({ store, uploader: up, clock, log: silentLogger, retryBaseMs: 1000, retryMaxMs: 60_000, random: () => 0.5 });
  const ids = [queueOne(clock.now()), queueOne(clock.now())];
  w.start();
  await w.idle();
  // Attempt 1 of the first failed: next at +1 s; the second one is due now, failed: +1 s.
  assert.is(w.counters.failedAttempts, 2);
  await step(w, 999);
  assert.is(up.got.length, 0);
  await step(w, 1);
  // Third failure (first item's second attempt) → +2 s; the second item delivered.
  assert.is(up.got.length, 1);
  await step(w, 1999);
  assert.is(up.got.length, 1);
  await step(w, 1);
  assert.is(up.got.length, 2);
  assert.equal(up.got.map((g) => g.envelope.uploadId).sort(), [...ids].sort());
  assert.equal(store.uploads.queued(), []);
  assert.ok(store.list().every((c) => c.uploadState === "sent"));
  // The WAV is the stored audio.
  assert.is(up.got[0]!.wav.subarray(0, 4).toString(), "RIFF");
  await step(w, 60_000);
  assert.is(up.got.length, 2, "nothing sent twice");
  await w.stop();
});

W("kick sends a new upload at once; stop leaves the queue for the next start", async () => {
  const up = new FlakyUploader(0);
  const w = new UploadWorker({ store, uploader: up, clock, log: silentLogger, retryBaseMs: 1000, retryMaxMs: 60_000, random: () => 0.5 });
  w.start();
  await w.idle();
  queueOne(clock.now());
  w.kick();
  await w.idle();
  assert.is(up.got.length, 1);
  await w.stop();
  queueOne(clock.now());
  w.kick();
  await w.idle();
  assert.is(up.got.length, 1, "a stopped worker sends nothing");
  assert.is(store.uploads.queued().length, 1);
});

W("a capture that cannot be decrypted fails its attempt (with backoff) instead of stopping the worker", async () => {
  const up = new FlakyUploader(0);
  const w = new UploadWorker({ store, uploader: up, clock, log: silentLogger, retryBaseMs: 1000, retryMaxMs: 60_000, random: () => 0.5 });
  queueOne(clock.now());
  db.prepare("UPDATE capture_audio SET tag = zeroblob(16)").run();
  queueOne(clock.now());
  w.start();
  await w.idle();
  assert.is(up.got.length, 1, "the healthy one still goes out");
  const [q] = store.uploads.queued();
  assert.is(q!.attempts, 1);
  await w.stop();
});

W("queued uploads are checked again at send time: dropped when uploads were switched off, training withdrawn", async () => {
  const up = new FlakyUploader(0);
  let permit = { uploads: true, trainingAllowed: false };
  const w = new UploadWorker({ store, uploader: up, clock, log: silentLogger, retryBaseMs: 1000, retryMaxMs: 60_000, random: () => 0.5, permit: () => permit });
  queueOne(clock.now()); // envelope says trainingAllowed: true
  w.start();
  await w.idle();
  assert.is(up.got[0]!.envelope.trainingAllowed, false);
  permit = { uploads: false, trainingAllowed: false };
  queueOne(clock.now());
  w.kick();
  await w.idle();
  assert.is(up.got.length, 1);
  assert.equal(store.uploads.queued(), []);
  assert.is(store.list()[0]!.uploadState, "dropped");
  await w.stop();
});

W("deleting a capture whose upload was attempted (reply lost) sends a deletion request", async () => {
  const id = queueOne(clock.now());
  const row = store.list()[0]!;
  store.uploads.failed(row.id, clock.now() + 1000, "timeout");
  store.delete("all", clock.now());
  assert.equal(
    store.deletions.list().map((d) => d.uploadId),
    [id],
  );
});

W.run();
