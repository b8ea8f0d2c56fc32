/** Capture storage in a real SQLite file: encryption per capture, shredding, queue, migration. */
import { Database } from "../../../agent/ledger/sqlite.ts";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { MIGRATIONS, openAgentDb, type Db } from "../../../agent/ledger/agent-db.ts";
import { CaptureStore, type CaptureMeta } from "../../../agent/ledger/captures.ts";
import { Consents } from "../../../agent/ledger/consents.ts";
import { Timestamp } from "../../../agent/units.ts";
import { tempDir } from "../../helpers/tmp.ts";

const C = suite("capture store (real SQLite)");
let dir: ReturnType<typeof tempDir>;
let db: Db;
let store: CaptureStore;
C.before.each(() => {
  dir = tempDir();
  db = openAgentDb(join(dir.path, "agent.db"));
  store = new CaptureStore(db);
});
C.after.each(() => {
  db.close();
  dir.remove();
});

const meta = (startedAt: number, over: Partial<CaptureMeta> = {}): CaptureMeta => ({
  trigger: "talk",
  keyword: null,
  startedAt,
  endedAt: startedAt + 2000,
  durationMs: 2000,
  endReason: "talk-up",
  policyVersion: 0,
  anonymization: "mcadams-b2/1",
  capturedWall: startedAt,
  capturedUptime: 0,
  ...over,
});

/** A recognisable byte pattern: the ASCII of "CANARY!!" repeated, as 16-bit samples. */
function canary(n: number): Int16Array {
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < b.length; i++) b[i] = "CANARY!!".charCodeAt(i % 8);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function filesContain(needle: Buffer): string[] {
  return readdirSync(dir.path).filter((f) => readFileSync(join(dir.path, f)).includes(needle));
}

C("audio round-trips through AES-256-GCM and is never stored in the clear", () => {
  const audio = canary(8000);
  const copy = audio.slice();
  const id = store.insert(meta(1000), audio, null);
  assert.equal(store.audio(id), copy);
  db.pragma("wal_checkpoint(TRUNCATE)");
  assert.equal(filesContain(Buffer.from("CANARY!!CANARY!!")), [], "plaintext in the database files");
});

C("each capture has its own key; deleting the key row makes the audio unrecoverable", () => {
  const a = store.insert(meta(1000), canary(100), null);
  const b = store.insert(meta(2000), canary(100), null);
  const keys = db.prepare("SELECT key FROM capture_keys ORDER BY capture_id").all() as Array<{ key: Buffer }>;
  assert.is(keys.length, 2);
  assert.not.ok(keys[0]!.key.equals(keys[1]!.key));
  db.prepare("DELETE FROM capture_keys WHERE capture_id = ?").run(a);
  assert.is(store.audio(a), null);
  assert.ok(store.audio(b));
});

C("tampered ciphertext is refused, not returned", () => {
  const id = store.insert(meta(1000), canary(100), null);
  db.prepare("UPDATE capture_audio SET ciphertext = zeroblob(200) WHERE capture_id = ?").run(id);
  assert.throws(() => store.audio(id));
});

C("ciphertext is bound to its capture: moved to another row it does not decrypt", () => {
  const a = store.insert(meta(1000), canary(100), null);
  const b = store.insert(meta(2000), canary(100), null);
  const rowA = db.prepare("SELECT iv, tag, ciphertext FROM capture_audio WHERE capture_id = ?").get(a) as { iv: Buffer; tag: Buffer; ciphertext: Buffer };
  const keyA = (db.prepare("SELECT key FROM capture_keys WHERE capture_id = ?").get(a) as { key: Buffer }).key;
  db.prepare("UPDATE capture_audio SET iv = ?, tag = ?, ciphertext = ? WHERE capture_id = ?").run(rowA.iv, rowA.tag, rowA.ciphertext, b);
  db.prepare("UPDATE capture_keys SET key = ? WHERE capture_id = ?").run(keyA, b);
  assert.throws(() => store.audio(b));
});

C("delete last / today / all removes rows, keys, audio and queued uploads; nothing lingers in the files", () => {
  const now = new Date(2026, 10, 26, 15, 0).getTime();
  const yesterday = now - 24 * 3600_000;
  store.insert(meta(yesterday), canary(400), { uploadId: "u1", envelope: "{}", at: yesterday });
  store.insert(meta(now - 3600_000), canary(400), { uploadId: "u2", envelope: "{}", at: now });
  store.insert(meta(now - 60_000), canary(400), null);
  assert.is(store.delete("last", Timestamp(now)).count, 1);
  assert.is(store.count(), 2);
  assert.is(store.delete("today", Timestamp(now)).count, 1);
  assert.equal(
    store.list().map((r) => r.startedAt),
    [yesterday],
  );
  assert.is(store.delete("all", Timestamp(now)).count, 1);
  for (const t of ["captures", "capture_keys", "capture_audio", "upload_queue"]) {
    assert.is((db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n, 0, t);
  }
  assert.equal(filesContain(Buffer.from("CANARY!!CANARY!!")), []);
});

C("upload queue: due order, failure reschedules, sent marks the capture, retry makes all due", () => {
  const a = store.insert(meta(1000), canary(10), { uploadId: "ua", envelope: '{"a":1}', at: 100 });
  const b = store.insert(meta(2000), canary(10), { uploadId: "ub", envelope: '{"b":1}', at: 200 });
  assert.equal(
    store.uploads.due(150, 10).map((q) => q.captureId),
    [a],
  );
  store.uploads.failed(a, 5000, "HTTP 503");
  assert.equal(
    store.uploads.due(1000, 10).map((q) => q.captureId),
    [b],
  );
  assert.is(store.uploads.nextDue(), 200);
  store.uploads.sent(b, "ub", 400);
  assert.is(store.list().find((r) => r.id === b)!.uploadState, "sent");
  assert.is(store.list().find((r) => r.id === b)!.uploadId, "ub");
  const [q] = store.uploads.queued();
  assert.equal([q!.attempts, q!.lastError], [1, "HTTP 503"]);
  assert.is(store.uploads.retryNow(300), 1);
  assert.equal(
    store.uploads.due(300, 10).map((x) => x.captureId),
    [a],
  );
});

C("the queue is bounded: the oldest entries are dropped, their captures stay", () => {
  for (let i = 0; i < 5; i++) store.insert(meta(i * 1000), canary(10), { uploadId: `u${i}`, envelope: "{}", at: i * 1000 });
  assert.is(store.uploads.trimQueue(3), 2);
  assert.equal(
    store.uploads.queued().map((q) => q.queuedAt),
    [2000, 3000, 4000],
  );
  assert.is(store.count(), 5);
  assert.equal(
    store
      .list()
      .filter((r) => r.uploadState === "dropped")
      .map((r) => r.uploadId)
      .sort(),
    ["u0", "u1"],
  );
});

C("settings persist and update", () => {
  assert.is(store.settings.get("trainingUse"), null);
  store.settings.set("trainingUse", "false", 1);
  store.settings.set("trainingUse", "true", 2);
  assert.is(store.settings.get("trainingUse"), "true");
});

C("migration from schema 1 carries sessions over as captures without audio", () => {
  const file = join(dir.path, "v1.db");
  const old = new Database(file);
  old.exec(MIGRATIONS[0] as string);
  old.pragma("user_version = 1");
  old.prepare("INSERT INTO sessions (trigger, keyword, started_at, ended_at, frames, end_reason) VALUES ('wake', '天猫精灵', 5, 900, 25, 'silence')").run();
  old.close();
  const db2 = openAgentDb(file);
  const rows = new CaptureStore(db2).list();
  assert.is(rows.length, 1);
  assert.equal([rows[0]!.trigger, rows[0]!.keyword, rows[0]!.durationMs, rows[0]!.hasAudio, rows[0]!.uploadState], ["wake", "天猫精灵", 800, false, "none"]);
  assert.is(db2.pragma("user_version", { simple: true }), MIGRATIONS.length);
  db2.close();
});

C("migration to schema 4 moves the household's training-use choice into the consent registry", () => {
  const file = join(dir.path, "v3.db");
  const old = new Database(file);
  for (const m of MIGRATIONS.slice(0, 3)) old.exec(typeof m === "string" ? m : m.sql);
  old.pragma("user_version = 3");
  old.prepare("INSERT INTO settings (name, value, updated_at) VALUES ('trainingUse', 'false', 1234)").run();
  old.close();
  const db2 = openAgentDb(file);
  assert.equal(new Consents(db2).history(), [
    { seq: 1, feature: "training", person: null, granted: false, notice: null, by: "household", source: "migrated", at: 1234 },
  ]);
  assert.is(new CaptureStore(db2).settings.get("trainingUse"), null, "the setting is gone: the registry is the truth");
  db2.close();
});

C.run();
