/**
 * Issue 14.7: uploads cannot be timed or linked by the receiver. Each upload leaves after a
 * random delay; deletion requests leave one at a time, in random order, spaced; uploads name
 * only a fleet-wide policy's version.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { seededRandom } from "../../../agent/adapters/seeded-random.ts";
import { openAgentDb, type Db } from "../../../agent/ledger/agent-db.ts";
import { CaptureStore } from "../../../agent/ledger/captures.ts";
import { silentLogger } from "../../../agent/log.ts";
import { PolicyEngine } from "../../../agent/policy/engine.ts";
import { PolicyService } from "../../../agent/policy/service.ts";
import { generateKeys, publicKeyFromPem, signEnvelope } from "../../../agent/policy/trust.ts";
import { VoiceSink } from "../../../agent/session/voice-sink.ts";
import type { Uploader } from "../../../agent/ports/uploader.ts";
import { Timestamp } from "../../../agent/units.ts";
import { UploadWorker } from "../../../agent/upload/worker.ts";
import { FakeClock } from "../../fakes/fake-clock.ts";
import { canarySignal } from "../../helpers/canary.ts";

const U = suite("unlinkable uploads (issue 14.7)");
let db: Db;
let store: CaptureStore;
U.before.each(() => {
  db = openAgentDb(":memory:");
  store = new CaptureStore(db);
});
U.after.each(() => {
  db.close();
});

U("uploads of captures that ended together leave spread over the configured window", async () => {
  const ended = 1_000_000_000;
  const sink = new VoiceSink({
    store,
    log: silentLogger,
    random: seededRandom(7),
    alphaRange: () => [0.7, 0.7],
    uploadsOn: () => true,
    trainingAllowed: () => false,
    policyVersion: () => 0,
    locale: "zh-CN",
    queueMax: 100,
    sendDelayMaxMs: 600_000,
    birth: (t) => ({ wall: t, uptime: 5 }),
  });
  for (let id = 1; id <= 30; id++)
    await sink.keep(
      { id, trigger: "talk", startedAt: Timestamp(ended - 2000), endedAt: Timestamp(ended), frames: 30, endReason: "talk-up" },
      canarySignal(0.3),
    );
  const due = (db.prepare("SELECT next_attempt_at AS t FROM upload_queue").all() as Array<{ t: number }>).map((r) => r.t - ended);
  assert.is(due.length, 30);
  assert.ok(
    due.every((d) => d >= 0 && d <= 600_000),
    JSON.stringify(due),
  );
  const spread = Math.max(...due) - Math.min(...due);
  assert.ok(spread > 300_000, `spread ${spread} ms`);
  assert.ok(new Set(due.map((d) => Math.floor(d / 1000))).size >= 25, "distinct seconds");
});

U("deletion requests leave one by one, spaced by random gaps, not in the captures' order", async () => {
  const orders: string[][] = [];
  for (const seed of [1, 2, 3, 4]) {
    const d = openAgentDb(":memory:");
    const s = new CaptureStore(d);
    const clock = new FakeClock();
    const ids = ["a", "b", "c", "d", "e", "f"];
    for (const id of ids) d.prepare("INSERT INTO deletion_requests (upload_id, queued_at, next_attempt_at) VALUES (?, ?, ?)").run(id, clock.now(), clock.now());
    const sent: Array<{ id: string; at: number }> = [];
    const uploader: Uploader = { name: "recording", send: async () => undefined, requestDeletion: async (id) => void sent.push({ id, at: clock.now() }) };
    const w = new UploadWorker({
      store: s,
      uploader,
      clock,
      log: silentLogger,
      retryBaseMs: 1000,
      retryMaxMs: 60_000,
      random: seededRandom(seed),
      deletionGapMaxMs: 60_000,
    });
    w.start();
    for (let i = 0; i < 200 && sent.length < ids.length; i++) {
      await w.idle();
      clock.advance(1000);
    }
    await w.stop();
    assert.is(sent.length, ids.length);
    const gaps = sent.slice(1).map((x, i) => x.at - sent[i]!.at);
    assert.ok(
      gaps.every((g) => g <= 61_000),
      JSON.stringify(gaps),
    );
    assert.ok(gaps.filter((g) => g >= 1000).length >= 4, `spaced: ${JSON.stringify(gaps)}`);
    orders.push(sent.map((x) => x.id));
    d.close();
  }
  assert.ok(
    orders.some((o) => o.join() !== "a,b,c,d,e,f"),
    "random order",
  );
  assert.ok(new Set(orders.map((o) => o.join())).size > 1, "the order differs between runs");
});

U("uploads name a fleet policy's version, never a per-device policy's", () => {
  const keys = generateKeys();
  const now = Date.UTC(2026, 11, 2);
  const engine = new PolicyEngine({
    trusted: new Map([[keys.keyId, publicKeyFromPem(keys.publicPem)]]),
    household: () => ({ retentionDays: 180, uploads: true, trainingUse: false, alphaMin: 0.5, alphaMax: 0.9, wakeWords: ["天猫精灵", "你好天猫"] }),
    now: () => now,
  });
  const saved: string[] = [];
  const svc = new PolicyService({
    engine,
    log: silentLogger,
    deviceId: "d",
    fleet: "f",
    topicPrefix: "p",
    load: () => ({ envelope: null, floor: 0 }),
    save: (_e, _f, source) => void saved.push(source),
    audit: () => undefined,
    onApplied: () => undefined,
    compliance: () => ({ capturesKept: 0, oldestKeptDays: null, purged: 0, falseWakes: 0 }),
    now: () => now,
  });
  svc.handle(
    "device",
    JSON.stringify(signEnvelope(keys.privatePem, { policy: { retentionDays: 30 }, version: 41, issuedAt: new Date(now - 1000).toISOString() })),
  );
  assert.is(svc.appliedFrom, "device");
  svc.handle(
    "fleet",
    JSON.stringify(signEnvelope(keys.privatePem, { policy: { retentionDays: 20 }, version: 42, issuedAt: new Date(now - 1000).toISOString() })),
  );
  assert.is(svc.appliedFrom, "fleet");
  assert.equal(saved, ["device", "fleet"]);
});

U.run();
