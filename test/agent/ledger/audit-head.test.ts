/**
 * Issue 14.3: truncation and re-hashing of the audit log are noticed. Each tampering below leaves
 * agent.db's chain consistent in itself; the head kept apart from it (audit.head, HMAC under
 * device.key) shows what happened.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventHash } from "../../../agent/ledger/audit.ts";
import { FakeClock } from "../../fakes/fake-clock.ts";
import { openLedgerAt, type LedgerFixture } from "../../helpers/ledger-fixture.ts";
import { tempDir } from "../../helpers/tmp.ts";

const A = suite("audit chain head (issue 14.3)");
let dir: ReturnType<typeof tempDir>;
let f: LedgerFixture;
A.before.each(() => {
  dir = tempDir();
  f = openLedgerAt(dir.path, new FakeClock());
  for (let i = 0; i < 10; i++) f.ledger.audit.append(1_000_000 + i, i % 2 ? "mute" : "unmute", { cause: "button", n: i });
});
A.after.each(() => {
  f.close();
  dir.remove();
});

/** Recomputes every hash from the anchor on, as someone rewriting the table would. */
function rehash(): void {
  const db = f.ledger.db;
  const anchor = db.prepare("SELECT seq, hash FROM audit_anchor").get() as { seq: number; hash: string };
  let prev = anchor.hash;
  for (const r of db.prepare("SELECT id, at, type, json FROM events ORDER BY id").all() as Array<{ id: number; at: number; type: string; json: string }>) {
    const h = eventHash(prev, r.id, r.at, r.type, JSON.parse(r.json) as Record<string, unknown>);
    db.prepare("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?").run(prev, h, r.id);
    prev = h;
  }
}

A("an untouched chain verifies and matches its head", () => {
  const v = f.ledger.audit.verify();
  assert.ok(v.ok && v.head === "matches", JSON.stringify(v));
});

A("the last events deleted", () => {
  f.ledger.db.exec("DELETE FROM events WHERE id > 7");
  const v = f.ledger.audit.verify();
  assert.not.ok(v.ok);
  assert.match((v as { reason: string }).reason, /last 3 events were removed/);
});

A("all events deleted (and the anchor with them)", () => {
  f.ledger.db.exec("DELETE FROM events; DELETE FROM audit_anchor;");
  const v = f.ledger.audit.verify();
  assert.not.ok(v.ok);
  assert.match((v as { reason: string }).reason, /all 10 events were removed/);
});

A("the first events deleted and the anchor moved to match", () => {
  const e3 = f.ledger.db.prepare("SELECT hash FROM events WHERE id = 3").get() as { hash: string };
  f.ledger.db.exec("DELETE FROM events WHERE id <= 3");
  f.ledger.db.prepare("UPDATE audit_anchor SET seq = 3, hash = ?").run(e3.hash);
  const v = f.ledger.audit.verify();
  assert.not.ok(v.ok);
  assert.match((v as { reason: string }).reason, /anchor was replaced/);
});

A("an event rewritten and every later hash recomputed", () => {
  f.ledger.db.exec(`UPDATE events SET type = 'unmute', json = '{"cause":"button","n":5}' WHERE id = 6`);
  rehash();
  const v = f.ledger.audit.verify();
  assert.not.ok(v.ok);
  assert.match((v as { reason: string }).reason, /rewritten and their hashes recomputed/);
});

A("a forged head, or a missing one, is reported", () => {
  writeFileSync(join(dir.path, "audit.head"), Buffer.alloc(4096, 1));
  assert.not.ok(f.ledger.audit.verify().ok);
  const fresh = tempDir();
  try {
    writeFileSync(join(dir.path, "audit.head"), "");
    assert.match((f.ledger.audit.verify() as { reason: string }).reason, /unreadable/);
  } finally {
    fresh.remove();
  }
});

A("legitimate pruning, deletion and a wipe keep the head in step", () => {
  f.ledger.audit.prune(1_000_005);
  assert.ok(f.ledger.audit.verify().ok);
  f.ledger.delete("all", "cli");
  assert.ok(f.ledger.audit.verify().ok);
  f.ledger.wipe(null);
  const v = f.ledger.audit.verify();
  assert.ok(v.ok && v.head === "matches", JSON.stringify(v));
});

A.run();
