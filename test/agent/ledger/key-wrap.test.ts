/**
 * Issue 14.8: the capture keys do not sit usable beside the ciphertext. agent.db alone (copied
 * without data/device.key) decrypts nothing; a ledger from before keeps its audio, its keys
 * wrapped once; a wipe does not make the next start wrap twice.
 */
import { createDecipheriv } from "node:crypto";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { checkpoint, openAgentDb } from "../../../agent/ledger/agent-db.ts";
import { CaptureStore } from "../../../agent/ledger/captures.ts";
import { tempDir } from "../../helpers/tmp.ts";

const meta = {
  trigger: "talk" as const,
  keyword: null,
  startedAt: 1,
  endedAt: 2,
  durationMs: 1,
  endReason: "talk-up",
  policyVersion: 0,
  anonymization: null,
  capturedWall: 1,
  capturedUptime: 1,
};
const tone = (): Int16Array => Int16Array.from({ length: 800 }, (_, i) => Math.round(4000 * Math.sin(i / 3)));

const K = suite("capture keys wrapped by a key outside agent.db (issue 14.8)");

K("a copy of agent.db alone decrypts nothing; with its device key it does", () => {
  const a = tempDir();
  const b = tempDir();
  try {
    const db = openAgentDb(join(a.path, "agent.db"));
    const store = new CaptureStore(db);
    const id = store.insert(meta, tone(), null);
    assert.equal(Array.from(store.audio(id)!.slice(0, 5)), Array.from(tone().slice(0, 5)));
    // The stored key column is not the key: decrypting with it fails.
    const row = db
      .prepare("SELECT k.key AS key, a.iv AS iv, a.tag AS tag, a.ciphertext AS ct FROM capture_audio a JOIN capture_keys k USING (capture_id)")
      .get() as { key: Buffer; iv: Buffer; tag: Buffer; ct: Buffer };
    const d = createDecipheriv("aes-256-gcm", row.key, row.iv);
    d.setAAD(Buffer.from(`spa-capture:${id}`));
    d.setAuthTag(row.tag);
    assert.throws(() => Buffer.concat([d.update(row.ct), d.final()]));
    checkpoint(db);
    db.close();
    copyFileSync(join(a.path, "agent.db"), join(b.path, "agent.db"));
    const stolen = openAgentDb(join(b.path, "agent.db"));
    assert.throws(() => new CaptureStore(stolen).audio(id), "agent.db without its device key");
    stolen.close();
    copyFileSync(join(a.path, "device.key"), join(b.path, "device.key"));
    const both = openAgentDb(join(b.path, "agent.db"));
    assert.ok(new CaptureStore(both).audio(id));
    both.close();
  } finally {
    a.remove();
    b.remove();
  }
});

K("raw keys of an older ledger are wrapped once; a wipe does not lead to wrapping twice", () => {
  const d = tempDir();
  try {
    let db = openAgentDb(join(d.path, "agent.db"));
    const legacy = new CaptureStore(db, null);
    const id = legacy.insert(meta, tone(), null);
    db.close();
    db = openAgentDb(join(d.path, "agent.db"));
    let store = new CaptureStore(db);
    assert.ok(store.audio(id), "readable after wrapping");
    store.removeAll(1);
    const id2 = store.insert(meta, tone(), null);
    db.close();
    db = openAgentDb(join(d.path, "agent.db"));
    store = new CaptureStore(db);
    assert.ok(store.audio(id2), "still readable after a wipe and a restart");
    db.close();
  } finally {
    d.remove();
  }
});

K.run();
