/** The voice sink over a real SQLite ledger: modified audio stored, raw zero-filled, deletions win. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openAgentDb, type Db } from "../../../agent/ledger/agent-db.ts";
import { CaptureStore } from "../../../agent/ledger/captures.ts";
import { silentLogger } from "../../../agent/log.ts";
import { VoiceSink } from "../../../agent/session/voice-sink.ts";
import type { KeptSession } from "../../../agent/ports/session-sink.ts";
import { Timestamp } from "../../../agent/units.ts";
import { canarySignal } from "../../helpers/canary.ts";

const S = suite("voice sink");
let db: Db;
let store: CaptureStore;
S.before.each(() => {
  db = openAgentDb(":memory:");
  store = new CaptureStore(db);
});
S.after.each(() => {
  db.close();
});

const session = (id: number): KeptSession => ({
  id,
  trigger: "wake",
  keyword: "天猫精灵",
  startedAt: Timestamp(1_000_000),
  endedAt: Timestamp(1_003_000),
  frames: 94,
  endReason: "silence",
});

function sink(over: Partial<ConstructorParameters<typeof VoiceSink>[0]> = {}): VoiceSink {
  return new VoiceSink({
    store,
    log: silentLogger,
    random: () => 0.5,
    alphaRange: () => [0.7, 0.7],
    uploadsOn: () => true,
    trainingAllowed: () => false,
    policyVersion: () => 4,
    locale: "zh-CN",
    queueMax: 10,
    birth: (t) => ({ wall: t, uptime: 5 }),
    ...over,
  });
}

S("keeps modified audio (same length, not the raw), zero-fills the raw buffer, queues the upload", async () => {
  const raw = canarySignal(3);
  const copy = raw.slice();
  let queued = 0;
  const s = sink({ onQueued: () => queued++ });
  await s.keep(session(1), raw);
  assert.ok(
    raw.every((v) => v === 0),
    "raw buffer zero-filled",
  );
  const [c] = store.list();
  assert.equal(
    [c!.trigger, c!.keyword, c!.durationMs, c!.policyVersion, c!.anonymization, c!.uploadState],
    ["wake", "天猫精灵", 3008, 4, "mcadams-b2/1", "queued"],
  );
  const stored = store.audio(c!.id)!;
  assert.is(stored.length, copy.length);
  let same = 0;
  for (let i = 0; i < copy.length; i++) if (stored[i] === copy[i]) same++;
  assert.ok(same < copy.length * 0.01, `${same} samples unchanged`);
  const env = JSON.parse(store.uploads.queued()[0]!.envelope) as Record<string, unknown>;
  assert.is(env.trainingAllowed, false);
  assert.is(env.policyVersion, 4);
  assert.is(env.uploadId, c!.uploadId);
  assert.is(queued, 1);
});

S("uploads off: stored, nothing queued", async () => {
  await sink({ uploadsOn: () => false }).keep(session(1), canarySignal(1));
  assert.is(store.list()[0]!.uploadState, "none");
  assert.is(store.uploads.queued().length, 0);
});

S("α comes from the configured range through the random source", async () => {
  const seen: number[] = [];
  const s = sink({ random: () => (seen.push(1), 0.25), alphaRange: () => [0.5, 0.9] });
  await s.keep(session(1), canarySignal(0.5));
  assert.is(seen.length, 1, "one draw per capture");
});

S("a deletion while a capture is being modified drops it before it is stored", async () => {
  const s = sink();
  const raw = canarySignal(5);
  const pending = s.keep(session(1), raw);
  assert.is(s.cancelInFlight(), 1);
  await pending;
  assert.is(store.count(), 0);
  assert.ok(raw.every((v) => v === 0));
  assert.is(s.cancelInFlight(), 0, "nothing left in flight");
});

S.run();
